import Foundation
import Perfdata
import RoundRobin

/// What the store knows about a series beside its round-robin file (`<label>.json`): the names
/// as the plugin wrote them, the unit, the latest thresholds and bounds, the check command and
/// the schema. The last sample time is the round-robin file's own last update.
public struct SeriesMetadata: Codable, Equatable, Sendable {
    public var host: String
    /// nil for host checks.
    public var service: String?
    public var label: String
    /// The raw bytes, base64, where a name is not valid UTF-8 (the text shows it as Latin-1).
    public var hostBytes: String?
    public var serviceBytes: String?
    public var labelBytes: String?
    public var unit: String
    public var warning: ThresholdRange?
    public var critical: ThresholdRange?
    public var minimum: Double?
    public var maximum: Double?
    public var checkCommand: String?
    public var dataSourceType: String
    public var step: UInt64
    public var heartbeat: UInt64
    public var archives: [ArchiveDescription]
    /// Time of the first sample stored.
    public var firstSample: Int64
    /// Time of the last sample stored (the round-robin file's last update).
    public var lastSample: Int64?
    /// Time of the sample this description was first taken from; older samples do not change it.
    public var since: Int64

    public struct ArchiveDescription: Codable, Equatable, Sendable {
        public var function: String
        public var stepsPerRow: UInt64
        public var rows: UInt64
        public var xff: Double

        enum CodingKeys: String, CodingKey {
            case function, stepsPerRow = "steps_per_row", rows, xff
        }
    }

    enum CodingKeys: String, CodingKey {
        case host, service, label, unit, warning = "warn", critical = "crit", minimum = "min", maximum = "max"
        case hostBytes = "host_base64", serviceBytes = "service_base64", labelBytes = "label_base64"
        case checkCommand = "check_command", dataSourceType = "type", step, heartbeat, archives
        case firstSample = "first_sample", lastSample = "last_sample", since
    }

    init(key: SeriesKey, item: PerfdataItem, command: RawText?, schema: Schema, time: Int64) {
        func base64(_ text: RawText?) -> String? {
            guard let text, !text.isValidUTF8 else { return nil }
            return Data(text.bytes).base64EncodedString()
        }
        host = key.host.text
        service = key.service?.text
        label = key.label.text
        hostBytes = base64(key.host)
        serviceBytes = base64(key.service)
        labelBytes = base64(key.label)
        unit = item.unit.text
        warning = item.warning
        critical = item.critical
        minimum = item.minimum
        maximum = item.maximum
        checkCommand = command?.text
        let source = schema.dataSources[0]
        dataSourceType = source.type.rawValue
        step = schema.step
        heartbeat = source.heartbeat
        archives = schema.archives.map {
            ArchiveDescription(function: $0.function.rawValue, stepsPerRow: $0.stepsPerRow, rows: $0.rows, xff: $0.xff)
        }
        firstSample = time
        since = time
    }

    /// This description with what a newer sample says; `since` moves only when something changed.
    func updated(with item: PerfdataItem, command: RawText?, time: Int64) -> SeriesMetadata {
        guard time >= since else { return self }
        var next = self
        next.unit = item.unit.text
        next.warning = item.warning
        next.critical = item.critical
        next.minimum = item.minimum
        next.maximum = item.maximum
        next.checkCommand = command?.text
        if next != self { next.since = time }
        return next
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }()
}
