import Foundation
import Perfdata
import Testing

/// Every shipped sample spool file parses completely.
@Suite struct SampleSpoolTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples")

    func records(in directory: String) throws -> [SpoolRecord] {
        let folder = Self.samples.appendingPathComponent(directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("perfdata.") }.sorted()
        #expect(!names.isEmpty)
        var records: [SpoolRecord] = []
        for name in names {
            for result in SpoolParser.parse([UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))) {
                let record = try result.get()
                #expect(record.warnings.isEmpty, "\(name):\(record.lineNumber): \(record.warnings)")
                records.append(record)
            }
        }
        return records
    }

    @Test func realNagiosCapture() throws {
        let records = try records(in: "nagios-4.4.6")
        let commands = Set(records.compactMap { $0.commandName?.text })
        for plugin in ["check_load", "check_disk", "check_procs", "check_users", "check_ping", "check_swap"] {
            #expect(commands.contains(plugin))
        }
        #expect(records.allSatisfy { !$0.parsed.items.isEmpty })
    }

    @Test func generatedDay() throws {
        let records = try records(in: "generated")
        #expect(records.count > 25_000)
        let times = records.map(\.time)
        #expect(times.max()! - times.min()! >= 86_000)
        let tasks = Set(records.filter { $0.service?.text == "Scheduled Tasks" }.flatMap { $0.parsed.items.map(\.label.text) })
        #expect(tasks == ["Total Tasks", "OK Tasks", "Failed Tasks", "Running Tasks", "Disabled Tasks"])
        // Checks land at uneven seconds, not on minute boundaries.
        #expect(Set(times.map { $0 % 60 }).count == 60)
    }
}
