import Foundation
import Perfdata

/// What the spool files under a directory hold. Stands in for the whole pipeline in `perfq demo`
/// until the store exists.
struct SpoolSummary {
    var files = 0
    var records = 0
    var rejectedLines: [String] = []
    var items = 0
    var unknownValues = 0
    var warnings = 0
    var series = Set<[UInt8]>()
    var hosts = Set<RawText>()
    var firstTime = Int64.max
    var lastTime = Int64.min
    var directories: [String: Int] = [:]
    var elapsed = Duration.zero

    init(directory: URL) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let root = directory.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: root])
        }
        var paths: [String] = []
        for case let relative as String in walker where Self.isSpoolFileName((relative as NSString).lastPathComponent) {
            paths.append(relative)
        }
        for relative in paths.sorted() {
            guard let data = FileManager.default.contents(atPath: root + "/" + relative) else { continue }
            files += 1
            directories[(relative as NSString).deletingLastPathComponent, default: 0] += 1
            [UInt8](data).withUnsafeBufferPointer { contents in
                SpoolParser.parse(contents) { add($0, file: relative) }
            }
        }
        elapsed = clock.now - start
    }

    /// `host-perfdata.<epoch>`, `service-perfdata.<epoch>`, `perfdata.<epoch>`; not the live
    /// file, not a file another process claimed (`-PID-`), not `perfdata.log`.
    static func isSpoolFileName(_ name: String) -> Bool {
        ["host-perfdata.", "service-perfdata.", "perfdata."].contains { prefix in
            name.hasPrefix(prefix) && !name.dropFirst(prefix.count).isEmpty && name.dropFirst(prefix.count).allSatisfy(\.isNumber)
        }
    }

    mutating func add(_ result: Result<SpoolRecord, SpoolLineError>, file: String) {
        switch result {
        case .failure(let error):
            rejectedLines.append("\(file):\(error.lineNumber): \(error.reason)")
        case .success(let record):
            records += 1
            items += record.parsed.items.count
            unknownValues += record.parsed.items.count { $0.value == nil }
            warnings += record.warnings.count
            hosts.insert(record.host)
            firstTime = min(firstTime, record.time)
            lastTime = max(lastTime, record.time)
            let service = record.service?.bytes ?? Array("_HOST_".utf8)
            for item in record.parsed.items {
                series.insert(record.host.bytes + [0] + service + [0] + item.label.bytes)
            }
        }
    }

    var report: String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var lines = ["perfq demo: parsed the sample spool files"]
        for (directory, count) in directories.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(directory.isEmpty ? "." : directory): \(count) files")
        }
        lines.append("  records: \(records), perfdata items: \(items) (\(unknownValues) unknown 'U')")
        lines.append("  hosts: \(hosts.count), series (host/service/label): \(series.count)")
        if firstTime <= lastTime {
            let format = Date.ISO8601FormatStyle()
            lines.append("  time span: \(format.format(Date(timeIntervalSince1970: TimeInterval(firstTime)))) to \(format.format(Date(timeIntervalSince1970: TimeInterval(lastTime))))")
        }
        lines.append("  warnings: \(warnings), rejected lines: \(rejectedLines.count)")
        for rejected in rejectedLines.prefix(10) {
            lines.append("    \(rejected)")
        }
        lines.append(String(format: "  took %.2f s for %d files", seconds, files))
        return lines.joined(separator: "\n")
    }
}

/// Finds the shipped `Samples/` directory: in the working directory, else beside this source tree.
enum SampleLocation {
    static func find() -> String? {
        let candidates = [
            FileManager.default.currentDirectoryPath + "/Samples",
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Samples").path,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
