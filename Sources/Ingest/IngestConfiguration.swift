import Foundation
import RoundRobin
import Store

/// perfqd's settings: NPCD's `npcd.cfg` keys where they mean something here, and perfqd's own.
///
/// The file is `key = value` lines with `#` comments, like npcd.cfg, so an existing npcd.cfg can be
/// used as it is. Sections `[command NAME]` and `[label REGEX]` set the schema of new series
/// whose check command is NAME, or whose label matches REGEX: `step`, `heartbeat`, `type`, `min`,
/// `max`, and `rra = RRA:CF:xff:steps:rows` (repeatable).
public struct IngestConfiguration: Sendable {
    public var spoolDirectory: String?
    public var storeDirectory: String?
    public var workers = 2
    /// Seconds between directory scans; inotify wakes the daemon earlier.
    public var sleepTime = 15.0
    /// When above 0 and the 1-minute load is higher, wait before the next file.
    public var loadThreshold = 0.0
    public var logLevel = Logger.Level.info
    /// `syslog`, `file` (to `log_file`), or unset for standard error.
    public var logType: String?
    public var logFile: String?
    public var pidFile: String?
    /// A file found by a scan (not announced by inotify) is taken once it is this old.
    public var minimumFileAge = 2.0
    public var store = Store.Options()
    /// Mod-Gearman's perfdata queue, when jobs come from gearmand too (or only).
    public var gearman = GearmanSettings()
    /// What the file said that was not understood; reported as warnings, never fatal.
    public var warnings: [String] = []

    public init() {}

    public var logDestination: Logger.Destination {
        switch logType {
        case "syslog": .syslog
        case "file": .file(logFile ?? "perfqd.log")
        default: .standardError
        }
    }

    /// npcd.cfg keys that configure NPCD's way of running process_perfdata.pl, or npcdmod; perfqd
    /// does that work itself and accepts them silently.
    static let npcdKeysWithoutMeaning: Set<String> = [
        "user", "group", "perfdata_file_run_cmd", "perfdata_file_run_cmd_args", "identify_npcd",
        "max_logfile_size", "use_load_threshold", "perfdata_file", "perfdata_spool_filename",
        "perfdata_file_processing_interval",
    ]

    public static func read(_ path: String) throws -> IngestConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(message: "\(path): cannot read the configuration file")
        }
        var configuration = IngestConfiguration()
        configuration.apply(String(decoding: data, as: UTF8.self), file: path)
        return configuration
    }

    mutating func apply(_ text: String, file: String) {
        var rule: SchemaPolicy.Rule?
        func finishRule() {
            if let rule { store.policy.rules.append(rule) }
            rule = nil
        }
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let where_ = "\(file):\(index + 1)"
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                finishRule()
                let header = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
                switch parts.first {
                case "command" where parts.count == 2: rule = SchemaPolicy.Rule(command: parts[1])
                case "label" where parts.count == 2:
                    if (try? NSRegularExpression(pattern: parts[1])) == nil {
                        warnings.append("\(where_): '\(parts[1])' is not a regular expression; section ignored")
                        rule = SchemaPolicy.Rule()
                    } else {
                        rule = SchemaPolicy.Rule(labelPattern: parts[1])
                    }
                default:
                    warnings.append("\(where_): unknown section [\(header)]; expected [command NAME] or [label REGEX]")
                    rule = SchemaPolicy.Rule()
                }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                warnings.append("\(where_): '\(line)' is not 'key = value'; ignored")
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if rule != nil {
                applyRule(key, value, to: &rule!, at: where_)
            } else {
                applyGlobal(key, value, at: where_)
            }
        }
        finishRule()
    }

    private mutating func applyGlobal(_ key: String, _ value: String, at place: String) {
        func number(_ apply: (Double) -> Void) {
            if let number = Double(value), number.isFinite { apply(number) } else { warnings.append("\(place): \(key) = \(value) is not a number; ignored") }
        }
        /// A whole number in `range`; anything else is a warning and changes nothing.
        func bounded(_ range: ClosedRange<Int64>, _ apply: (Double) -> Void) {
            if let number = Int64(value), range.contains(number) {
                apply(Double(number))
            } else {
                warnings.append("\(place): \(key) = \(value) is not a whole number from \(range.lowerBound) to \(range.upperBound); ignored")
            }
        }
        switch key {
        case "perfdata_spool_dir", "spool_dir": spoolDirectory = value
        case "store_dir", "perfdata_dir", "rrdpath": storeDirectory = value
        case "npcd_max_threads", "workers": number { workers = max(1, Int($0)); store.workers = workers }
        case "sleep_time": number { sleepTime = max(0.1, $0) }
        case "load_threshold": number { loadThreshold = $0 }
        case "log_level":
            number { logLevel = $0 < 0 ? .debug : Logger.Level(rawValue: min(2, Int($0))) ?? .info }
        case "log_type":
            if ["syslog", "file", "stderr"].contains(value) {
                logType = value
            } else {
                warnings.append("\(place): log_type = \(value) is neither syslog nor file; ignored")
            }
        case "log_file": logFile = value
        case "pid_file": pidFile = value
        case "min_file_age": number { minimumFileAge = $0 }
        case "gearman_servers": gearman.servers = GearmanSettings.list(value)
        case "gearman_queues": gearman.queues = GearmanSettings.list(value)
        case "encryption": gearman.encryption = !["0", "no", "false", "off"].contains(value.lowercased())
        case "key": gearman.key = value
        case "keyfile": gearman.keyFile = value
        case "shards": gearman.shards = GearmanSettings.list(value)
        case "future_tolerance": bounded(0...315_360_000) { store.futureTolerance = Int64($0) }
        case "sample_window": bounded(1...315_360_000) { store.sampleWindow = Int64($0) }
        case "synchronous":
            store.synchronous = !["0", "no", "false", "off"].contains(value.lowercased())
        case "step": bounded(1...86_400) { store.policy.step = UInt64($0) }
        case "heartbeat", "rrd_heartbeat": bounded(1...31_622_400) { store.policy.heartbeat = UInt64($0) }
        case "rra":
            if let archive = Self.archive(value, step: store.policy.step, at: place, warnings: &warnings) {
                if store.policy.archives == SchemaPolicy.pnpArchives { store.policy.archives = [] }
                store.policy.archives.append(archive)
            }
        default:
            if !Self.npcdKeysWithoutMeaning.contains(key) {
                warnings.append("\(place): unknown key '\(key)'; ignored")
            }
        }
    }

    private mutating func applyRule(_ key: String, _ value: String, to rule: inout SchemaPolicy.Rule, at place: String) {
        func whole(_ range: ClosedRange<UInt64>) -> UInt64? {
            guard let number = UInt64(value), range.contains(number) else {
                warnings.append("\(place): \(key) = \(value) is not a whole number from \(range.lowerBound) to \(range.upperBound); ignored")
                return nil
            }
            return number
        }
        switch key {
        case "step": rule.step = whole(1...86_400)
        case "heartbeat": rule.heartbeat = whole(1...31_622_400)
        case "type":
            rule.type = DataSourceType(rawValue: value.uppercased())
            if rule.type == nil { warnings.append("\(place): type = \(value) is not a data source type; ignored") }
        case "min", "max":
            let bound = value == "U" ? DoubleBits.unknown : Double(value)
            if bound == nil { warnings.append("\(place): \(key) = \(value) is not a number or U; ignored") }
            if key == "min" { rule.minimum = bound } else { rule.maximum = bound }
        case "rra":
            if let archive = Self.archive(value, step: rule.step ?? store.policy.step, at: place, warnings: &warnings) {
                rule.archives = (rule.archives ?? []) + [archive]
            }
        default:
            warnings.append("\(place): unknown key '\(key)' in a schema section; ignored")
        }
    }

    private static func archive(_ text: String, step: UInt64, at place: String, warnings: inout [String]) -> Archive? {
        do {
            guard let archive = try SchemaDefinition.schema(step: step, definitions: ["DS:x:GAUGE:600:U:U", text]).archives.first else { return nil }
            // Ten million rows (80 MB a data source) is already more than any graph needs.
            guard archive.rows <= 10_000_000 else {
                warnings.append("\(place): \(text): more than 10,000,000 rows; ignored")
                return nil
            }
            return archive
        } catch {
            warnings.append("\(place): \(text): \(error.message); ignored")
            return nil
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
