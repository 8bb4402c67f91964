import Foundation
import Ingest
import Store

/// Spool to store, end to end: the generated day repeated on following days until there are at
/// least 100,000 records, ingested by perfqd's processor into a fresh store, as fast as it goes.
enum IngestBenchmark {
    static func run(_ arguments: ArraySlice<String>) throws {
        let target = arguments.first.flatMap(Int.init) ?? 100_000
        let synchronous = !arguments.contains("--no-sync")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-ingest-benchmark-\(getpid())")
        let spoolPath = root.appendingPathComponent("spool").path
        try FileManager.default.createDirectory(atPath: spoolPath, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        let day = try BenchmarkSamples.samplesDirectory().appendingPathComponent("generated")
        let names = try FileManager.default.contentsOfDirectory(atPath: day.path).filter { $0.contains("perfdata.") }
        var records = 0
        var shift: Int64 = 0
        while records < target {
            for name in names {
                let text = try String(contentsOf: day.appendingPathComponent(name), encoding: .utf8)
                let shifted = shift == 0 ? text : shiftTimes(text, by: shift)
                let parts = name.split(separator: ".")
                let newName = "\(parts[0]).\(Int64(parts[1])! + shift)"
                try shifted.write(toFile: spoolPath + "/" + newName, atomically: false, encoding: .utf8)
                records += text.split(separator: "\n").count
            }
            shift += 86_400
        }
        let spool = SpoolDirectory(path: spoolPath)
        try spool.prepare()
        var options = Store.Options()
        options.synchronous = synchronous
        if arguments.contains("--no-prune") { options.sampleWindow = 100 * 86_400 }
        let store = try Store(root: root.appendingPathComponent("store"), options: options)
        let processor = SpoolProcessor(spool: spool, store: store, logger: Logger(level: .error))
        let files = spool.readyFiles(announced: [], minimumAge: 0)
        print("ingest: \(files.count) spool files, \(records) records, \(synchronous ? "synchronous (fsync before each spool file is removed)" : "without fsync")")
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            // As the daemon takes a backlog: in groups of files that share one store batch.
            var start = 0
            while start < files.count {
                let group = files[start..<min(start + 64, files.count)]
                start = group.endIndex
                processor.process(group.filter { spool.claim($0) }, now: 1_800_000_000)
            }
        }.seconds
        let counters = processor.counters
        print(String(format: "ingest: %.2f s, %.0f records/s, %.0f updates/s (%d updates, %d series, %d skipped, %d rejected)",
                     elapsed, Double(counters.records) / elapsed, Double(counters.updates) / elapsed,
                     counters.updates, counters.createdSeries, counters.skipped, counters.rejected))
    }

    /// The same records `seconds` later: every TIMET field moved.
    static func shiftTimes(_ text: String, by seconds: Int64) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map { field in
                field.hasPrefix("TIMET::") ? "TIMET::\(Int64(field.dropFirst(7))! + seconds)" : String(field)
            }.joined(separator: "\t")
        }.joined(separator: "\n")
    }
}
