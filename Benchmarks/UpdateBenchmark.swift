import CRRD
import Foundation
import RoundRobin

/// Updates per second, librrd's `rrd_update_r` against our engine, on the same workload in one
/// run: files with PNP4Nagios's default schema, every file checked once a minute at its own
/// uneven second. Both start from the same bytes, and the finished files must be identical.
enum UpdateBenchmark {
    static let definitions = ["DS:1:GAUGE:8460:U:U"] + ["AVERAGE", "MAX", "MIN"].flatMap { function in
        ["RRA:\(function):0.5:1:2880", "RRA:\(function):0.5:5:2880", "RRA:\(function):0.5:30:4320", "RRA:\(function):0.5:360:5840"]
    }

    static func run(_ arguments: ArraySlice<String>) throws {
        let files = arguments.first.flatMap(Int.init) ?? 1000
        let updatesPerFile = arguments.dropFirst().first.flatMap(Int.init) ?? 20
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-update-benchmark-\(getpid())")
        let theirs = root.appendingPathComponent("librrd")
        let ours = root.appendingPathComponent("perfq")
        try FileManager.default.createDirectory(at: theirs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: ours, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        let start: Int64 = 1_793_577_600
        var random = SystemRandomNumberGenerator()
        var workload: [[String]] = []
        for index in 0..<files {
            let path = theirs.appendingPathComponent("\(index).rrd").path
            try create(path, start: start)
            try FileManager.default.copyItem(atPath: path, toPath: ours.appendingPathComponent("\(index).rrd").path)
            let phase = Int64.random(in: 1...59, using: &random)
            var time = start + phase
            var updates: [String] = []
            for _ in 0..<updatesPerFile {
                updates.append("\(time):\(Double.random(in: 0...100, using: &random).formatted(.number.precision(.fractionLength(0...3))))")
                time += 60 + Int64.random(in: -3...3, using: &random)
            }
            workload.append(updates)
        }
        let total = files * updatesPerFile
        print("update: \(files) files with PNP4Nagios's schema (\(try fileSize(theirs)) bytes each), \(updatesPerFile) updates each, \(total) updates")

        // librrd as PNP4Nagios drives it: one rrd_update_r call per check result, in time order.
        let clock = ContinuousClock()
        let librrdTime = try clock.measure {
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

        let openTime = try clock.measure {
            for index in 0..<files {
                let file = try RoundRobinFile(path: ours.appendingPathComponent("\(index).rrd").path, writable: true)
                blackHole(file.lastUpdate)
            }
        }.seconds
        print(String(format: "update: opening and closing every file alone takes %.3f s", openTime))

        // Our engine as the store drives it: each file opened once, its readings applied in one pass.
        let perfqTime = try clock.measure {
            for index in 0..<files {
                let file = try RoundRobinFile(path: ours.appendingPathComponent("\(index).rrd").path, writable: true)
                try file.update(workload[index])
            }
        }.seconds

        var identical = 0
        for index in 0..<files {
            let a = try Data(contentsOf: theirs.appendingPathComponent("\(index).rrd"))
            let b = try Data(contentsOf: ours.appendingPathComponent("\(index).rrd"))
            if a == b { identical += 1 }
        }
        print(String(format: "update: librrd rrd_update_r  %.3f s, %.0f updates/s", librrdTime, Double(total) / librrdTime))
        print(String(format: "update: perfq RoundRobin     %.3f s, %.0f updates/s", perfqTime, Double(total) / perfqTime))
        print(String(format: "update: perfq is %.1f times librrd; %d of %d files byte-identical", librrdTime / perfqTime, identical, files))
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
