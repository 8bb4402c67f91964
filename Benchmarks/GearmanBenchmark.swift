import Foundation
import Ingest
import ModGearman

/// Mod-Gearman's perfdata queue into the store: encrypted jobs submitted by a client to a real
/// gearmand, taken by release-built perfqd processes, stored with fsync; timed from the first
/// submission until every record is stored. The same records through the spool, in the same run,
/// give the spool watcher's figure beside it.
///
/// Needs gearmand (Debian gearman-job-server) and `swift build -c release --product perfqd`.
enum GearmanBenchmark {
    static let key = "should_be_changed"

    static func run(_ arguments: ArraySlice<String>) throws {
        let hosts = 500
        let rounds = (arguments.first.flatMap(Int.init) ?? 50_000) / hosts
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let perfqd = repository.appendingPathComponent(".build/release/perfqd").path
        guard FileManager.default.isExecutableFile(atPath: perfqd) else {
            throw BenchmarkError("build perfqd in release first: swift build -c release --product perfqd")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-gearman-benchmark-\(getpid())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        // A check a minute per host at uneven seconds, two labels each, as Mod-Gearman sends them.
        let base = (Int64(Date().timeIntervalSince1970) / 60 - Int64(rounds) - 10) * 60
        var lines: [String] = []
        for round in 0..<rounds {
            for host in 0..<hosts {
                let time = base + Int64(round * 60 + (host * 7) % 60)
                lines.append("DATATYPE::SERVICEPERFDATA\tTIMET::\(time)\tHOSTNAME::host-\(host)\tSERVICEDESC::Load\tSERVICEPERFDATA::load1=\(Double((round * 31 + host * 17) % 100) / 10);5;8;0 procs=\(100 + (round + host) % 9)\tSERVICECHECKCOMMAND::check_load\tHOSTSTATE::UP\tHOSTSTATETYPE::HARD\tSERVICESTATE::OK\tSERVICESTATETYPE::HARD")
            }
        }
        let payloads = lines.map { JobPayload.encode(Array($0.utf8), key: ModGearmanKey(key)) }
        print("gearman: \(lines.count) check results (\(hosts) hosts, \(rounds) minutes, 2 labels each), encrypted with AES-256 as Mod-Gearman sends them")

        // The spool watcher on the same records, in files of one minute's checks.
        do {
            let directory = root.appendingPathComponent("spool-run")
            let spool = directory.appendingPathComponent("spool")
            try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
            for round in 0..<rounds {
                let text = lines[(round * hosts)..<((round + 1) * hosts)].joined(separator: "\n") + "\n"
                try text.write(to: spool.appendingPathComponent("service-perfdata.\(base + Int64(round * 60))"), atomically: false, encoding: .utf8)
            }
            let clock = ContinuousClock()
            let process = try start(perfqd, ["--spool", spool.path, "--store", directory.appendingPathComponent("store").path, "--once"], log: directory.appendingPathComponent("perfqd.log"))
            let elapsed = clock.measure { process.waitUntilExit() }.seconds
            report("spool watcher (perfqd --once, 1 process)", records: lines.count, seconds: elapsed)
        }

        for nodes in [1, 2] {
            let directory = root.appendingPathComponent("gearman-\(nodes)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let gearmand = try Gearmand(directory: directory)
            defer { gearmand.stop() }
            var processes: [Process] = []
            defer { for process in processes { process.terminate(); process.waitUntilExit() } }
            var stores: [URL] = []
            if nodes == 1 {
                stores = [directory.appendingPathComponent("store")]
                processes.append(try start(perfqd, ["--spool", directory.appendingPathComponent("spool").path, "--store", stores[0].path,
                                                    "--gearman", gearmand.address, "--key", key], log: directory.appendingPathComponent("perfqd.log")))
            } else {
                processes.append(try start(perfqd, ["--gearman", gearmand.address, "--key", key, "--route-to", "a,b", "--spool", directory.appendingPathComponent("router").path],
                                           log: directory.appendingPathComponent("router.log")))
                for shard in ["a", "b"] {
                    stores.append(directory.appendingPathComponent("store-\(shard)"))
                    processes.append(try start(perfqd, ["--spool", directory.appendingPathComponent("spool-\(shard)").path, "--store", stores.last!.path,
                                                        "--gearman", gearmand.address, "--queue", "perfdata_\(shard)", "--key", key],
                                               log: directory.appendingPathComponent("node-\(shard).log")))
                }
            }
            // Every process is up and waiting for jobs before the clock starts.
            Thread.sleep(forTimeInterval: 1.5)
            let clock = ContinuousClock()
            let began = clock.now
            let client = try GearmanClient(servers: gearmand.address)
            var start = 0
            while start < payloads.count {
                let end = min(start + 1000, payloads.count)
                try client.submitInBackground(payloads[start..<end].map { GearmanClient.Job(queue: "perfdata", payload: $0) })
                start = end
            }
            let submitted = (clock.now - began).seconds
            var stored = 0
            while stored < lines.count {
                Thread.sleep(forTimeInterval: 0.02)
                stored = stores.compactMap(records).reduce(0, +)
                if let dead = processes.first(where: { !$0.isRunning }) {
                    throw BenchmarkError("perfqd \(dead.arguments?.joined(separator: " ") ?? "") stopped; see its log in \(directory.path)")
                }
                if (clock.now - began).seconds > 600 { throw BenchmarkError("gave up: \(stored) of \(lines.count) records stored after 600 s") }
            }
            let elapsed = (clock.now - began).seconds
            report(nodes == 1 ? "gearman, 1 storage node" : "gearman, router + 2 storage nodes", records: lines.count, seconds: elapsed,
                   note: String(format: "(the client submitted them in %.2f s)", submitted))
        }
    }

    static func report(_ what: String, records: Int, seconds: Double, note: String = "") {
        print(String(format: "gearman: %@: %.2f s, %.0f records/s (%.0f updates/s) %@", what, seconds, Double(records) / seconds, Double(records * 2) / seconds, note))
    }

    /// Records a storage node has stored, from the counters it writes at least once a second.
    static func records(_ store: URL) -> Int? {
        FileManager.default.contents(atPath: store.appendingPathComponent(".perfqd-stats.json").path)
            .flatMap { try? JSONDecoder().decode(IngestCounters.self, from: $0) }?.records
    }

    static func start(_ executable: String, _ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// gearmand on a free loopback port of its own.
    final class Gearmand {
        let process = Process()
        let port = Int.random(in: 40_000...59_000)
        var address: String { "127.0.0.1:\(port)" }

        init(directory: URL) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/gearmand")
            process.arguments = ["--listen=127.0.0.1", "--port=\(port)", "--log-file=\(directory.appendingPathComponent("gearmand.log").path)"]
            try process.run()
            Thread.sleep(forTimeInterval: 0.5)
            guard process.isRunning else { throw BenchmarkError("gearmand did not start (is gearman-job-server installed?)") }
        }

        /// gearmand 1.1.20 can take many seconds over SIGTERM; nothing of it needs keeping.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
