import CRRD
import Foundation
import RoundRobin

/// Updates per second, librrd's `rrd_update_r` against our engine, on the same workload in one
/// run: files with PNP4Nagios's default schema, every file checked once a minute at its own
/// uneven second. All start from the same bytes, and the finished files must be identical.
///
/// librrd is driven as PNP4Nagios drives it, one `rrd_update_r` per check result, which opens,
/// maps, locks and closes the file each time. Our engine is measured twice: held open, as perfqd
/// holds its files, with the results arriving in time order (the steady state of a daemon), and
/// cold, each file opened, its readings applied in one pass and closed (a backlog, or a one-off).
enum UpdateBenchmark {
    static let definitions = ["DS:1:GAUGE:8460:U:U"] + ["AVERAGE", "MAX", "MIN"].flatMap { function in
        ["RRA:\(function):0.5:1:2880", "RRA:\(function):0.5:5:2880", "RRA:\(function):0.5:30:4320", "RRA:\(function):0.5:360:5840"]
    }

    static func run(_ arguments: ArraySlice<String>) throws {
        let files = arguments.first.flatMap(Int.init) ?? 1000
        let updatesPerFile = arguments.dropFirst().first.flatMap(Int.init) ?? 20
        let perfqOnly = arguments.contains("--perfq-only")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-update-benchmark-\(getpid())")
        let theirs = root.appendingPathComponent("librrd")
        let ours = root.appendingPathComponent("perfq-cold")
        let warm = root.appendingPathComponent("perfq-open")
        for directory in [theirs, ours, warm] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: root) }

        let start: Int64 = 1_793_577_600
        var random = SeededRandom(state: 2026)
        var workload: [[String]] = []
        for index in 0..<files {
            let path = theirs.appendingPathComponent("\(index).rrd").path
            try create(path, start: start)
            try FileManager.default.copyItem(atPath: path, toPath: ours.appendingPathComponent("\(index).rrd").path)
            try FileManager.default.copyItem(atPath: path, toPath: warm.appendingPathComponent("\(index).rrd").path)
            let phase = Int64.random(in: 1...59, using: &random)
            var time = start + phase
            var updates: [String] = []
            for _ in 0..<updatesPerFile {
                updates.append("\(time):\(Int.random(in: 0...100, using: &random)).\(Int.random(in: 0...999, using: &random))")
                time += 60 + Int64.random(in: -3...3, using: &random)
            }
            workload.append(updates)
        }
        let total = files * updatesPerFile
        print("update: \(files) files with PNP4Nagios's schema (\(try fileSize(theirs)) bytes each), \(updatesPerFile) updates each, \(total) updates")

        // librrd as PNP4Nagios drives it: one rrd_update_r call per check result, in time order.
        let clock = ContinuousClock()
        let librrdTime = perfqOnly ? 1 : try clock.measure {
            for round in 0..<updatesPerFile {
                for index in 0..<files {
                    rrd_clear_error()
                    let status = workload[index][round].withCString { argument -> Int32 in
                        var argv: [UnsafePointer<CChar>?] = [argument, nil]
                        return rrd_update_r(theirs.appendingPathComponent("\(index).rrd").path, nil, 1, &argv)
                    }
                    guard status == 0 else { throw BenchmarkError("librrd: \(String(cString: rrd_get_error()))") }
                }
            }
        }.seconds

        var held: [RoundRobinFile] = []
        for index in 0..<files {
            held.append(try RoundRobinFile(path: warm.appendingPathComponent("\(index).rrd").path, writable: true))
        }
        let heldTime = try clock.measure {
            for round in 0..<updatesPerFile {
                for index in 0..<files {
                    try held[index].update([workload[index][round]])
                }
            }
        }.seconds
        held.removeAll()

        let perfqTime = try clock.measure {
            for index in 0..<files {
                let file = try RoundRobinFile(path: ours.appendingPathComponent("\(index).rrd").path, writable: true)
                try file.update(workload[index])
            }
        }.seconds

        print(String(format: "update: perfq, files held open    %.3f s, %9.0f updates/s", heldTime, Double(total) / heldTime))
        print(String(format: "update: perfq, opened per file    %.3f s, %9.0f updates/s", perfqTime, Double(total) / perfqTime))
        if perfqOnly { return }
        var identical = 0
        for index in 0..<files {
            let a = try Data(contentsOf: theirs.appendingPathComponent("\(index).rrd"))
            let b = try Data(contentsOf: ours.appendingPathComponent("\(index).rrd"))
            let c = try Data(contentsOf: warm.appendingPathComponent("\(index).rrd"))
            if a == b && a == c { identical += 1 }
        }
        print(String(format: "update: librrd rrd_update_r       %.3f s, %9.0f updates/s", librrdTime, Double(total) / librrdTime))
        print(String(format: "update: perfq is %.1f times librrd with its files held open, %.1f times opening each file once", librrdTime / heldTime, librrdTime / perfqTime))
        print("update: \(identical) of \(files) files byte-identical across the three runs")
        guard identical == files else { throw BenchmarkError("files differ: the engines disagree") }
    }

    static func create(_ path: String, start: Int64) throws {
        rrd_clear_error()
        let copies = definitions.map { UnsafePointer(strdup($0)) }
        defer { copies.forEach { free(UnsafeMutableRawPointer(mutating: $0)) } }
        var argv: [UnsafePointer<CChar>?] = copies + [nil]
        guard rrd_create_r(path, 60, time_t(start), Int32(definitions.count), &argv) == 0 else {
            throw BenchmarkError("librrd create: \(String(cString: rrd_get_error()))")
        }
    }

    static func fileSize(_ directory: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("0.rrd").path)
        return (attributes[.size] as? Int) ?? 0
    }
}

/// SplitMix64, so that every run measures the same workload.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
