import Foundation
import Grapher
import RoundRobin

/// A year of 5-minute points (105,120 rows, AVERAGE, MIN and MAX) exported as Highcharts JSON by
/// `perfq export`, against `rrdtool xport --json` of the same three columns of the same file, both
/// as processes, in one run. Two files: one of 5-minute steps, one row each, where a row's MIN and
/// MAX are its AVERAGE; and one of 1-minute steps, five to a row, where they differ.
enum ExportBenchmark {
    static func run(_ arguments: ArraySlice<String>) throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let perfq = repository.appendingPathComponent(".build/release/perfq").path
        guard FileManager.default.isExecutableFile(atPath: perfq) else {
            throw BenchmarkError("build perfq in release first: swift build -c release --product perfq --static-swift-stdlib")
        }
        // The names of the shared libraries an executable needs come early in the file.
        let head = FileHandle(forReadingAtPath: perfq)?.readData(ofLength: 1 << 20) ?? Data()
        let linkage = head.range(of: Data("libswiftCore.so".utf8)) == nil ? "Swift runtime linked in" : "Swift runtime shared"
        print("export: a year of 5-minute points, 105120 rows of AVERAGE, MIN and MAX (perfq: \(linkage))")
        try compare(perfq, step: 300, stepsPerRow: 1, "5-minute steps, one to a row (MIN = MAX = AVERAGE)")
        try compare(perfq, step: 60, stepsPerRow: 5, "1-minute steps, five to a row (MIN and MAX differ)")
    }

    static func compare(_ perfq: String, step: UInt64, stepsPerRow: UInt64, _ title: String) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-export-benchmark-\(getpid())")
        let directory = root.appendingPathComponent("bench.example/Load")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let path = directory.appendingPathComponent("load1.rrd").path
        let rows: UInt64 = 105_120
        let rowStep = Int64(step * stepsPerRow)
        let start: Int64 = 1_761_955_200
        let schema = Schema(step: step, dataSources: [DataSource(name: "1", type: .gauge, heartbeat: 3 * step)],
                            archives: [ConsolidationFunction.average, .minimum, .maximum].map { Archive(function: $0, xff: 0.5, stepsPerRow: stepsPerRow, rows: rows) })
        try RoundRobinFile.create(at: path, schema: schema, start: start - Int64(step))
        do {
            let file = try RoundRobinFile(path: path, writable: true)
            var random = SeededRandom(state: 5)
            var time = start
            let jitter = Int64(step) / 15
            for _ in 0..<rows * stepsPerRow {
                time += Int64(step) + Int64.random(in: -jitter...jitter, using: &random)
                try file.update(time: time, values: ["\(Int.random(in: 0...100, using: &random)).\(Int.random(in: 0...99, using: &random))"])
            }
        }
        let end = start + Int64(rows) * rowStep
        let ours = ["export", "bench.example", "Load", "load1", "--format", "highcharts", "--store", root.path, "-s", "\(start)", "-e", "\(end)", "-r", "\(rowStep)"]
        let theirs = ["xport", "--json", "-s", "\(start)", "-e", "\(end)", "--step", "\(rowStep)", "-m", "200000",
                      "DEF:a=\(path):1:AVERAGE", "DEF:b=\(path):1:MIN", "DEF:c=\(path):1:MAX", "XPORT:a:average", "XPORT:b:min", "XPORT:c:max"]
        // Taken in turns, so that whatever else the machine does falls on both alike.
        var oursTimes: [Double] = []
        var theirsTimes: [Double] = []
        var oursBytes = 0
        var theirsBytes = 0
        for _ in 0..<21 {
            let (oursTime, oursSize) = try run(perfq, ours)
            let (theirsTime, theirsSize) = try run("/usr/bin/rrdtool", theirs)
            oursTimes.append(oursTime)
            theirsTimes.append(theirsTime)
            (oursBytes, theirsBytes) = (oursSize, theirsSize)
        }
        let oursMedian = oursTimes.sorted()[10]
        let theirsMedian = theirsTimes.sorted()[10]
        print("export, \(title):")
        print(String(format: "  perfq export --format highcharts  %.1f ms median of 21 (%@ of JSON)", oursMedian * 1000, ByteCountFormatter.string(fromByteCount: Int64(oursBytes), countStyle: .file)))
        print(String(format: "  rrdtool xport --json            %.1f ms median of 21 (%@ of JSON)", theirsMedian * 1000, ByteCountFormatter.string(fromByteCount: Int64(theirsBytes), countStyle: .file)))
        print(String(format: "  perfq is %.1f times as fast", theirsMedian / oursMedian))
    }

    /// The wall time of one run of a command and the size of what it printed. Started with
    /// posix_spawn and waited for with waitpid (Foundation's Process adds tens of milliseconds of
    /// its own), the output going to a file.
    static func run(_ executable: String, _ arguments: [String]) throws -> (seconds: Double, bytes: Int) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-export-output-\(getpid())").path
        defer { unlink(output) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var pid: pid_t = 0
        let clock = ContinuousClock()
        let begin = clock.now
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        guard status == 0 else { throw BenchmarkError("cannot start \(executable)") }
        var exitStatus: Int32 = 0
        waitpid(pid, &exitStatus, 0)
        let seconds = (clock.now - begin).seconds
        guard exitStatus == 0 else { throw BenchmarkError("\(executable) failed") }
        let bytes = (try FileManager.default.attributesOfItem(atPath: output)[.size] as? NSNumber)?.intValue ?? 0
        return (seconds, bytes)
    }
}
