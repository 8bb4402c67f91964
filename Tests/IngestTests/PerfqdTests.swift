import Foundation
import Testing

/// perfqd as admins run it, from the built binary (`swift build` first; scripts/test does).
@Suite(.serialized) struct PerfqdTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = repository.appendingPathComponent(".build/debug/perfqd").path

    /// Spool files to feed: the real Nagios capture and the first hours of the generated day.
    static func inputs() throws -> [URL] {
        var files: [URL] = []
        for (directory, limit) in [("Samples/nagios-4.4.6", 1000), ("Samples/generated", 400)] {
            let folder = repository.appendingPathComponent(directory)
            // Oldest first, as Nagios rotated them: host and service files alike.
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("perfdata.") }
                .sorted { ($0.split(separator: ".").last!, $0) < ($1.split(separator: ".").last!, $1) }
            files += names.prefix(limit).map { folder.appendingPathComponent($0) }
        }
        return files
    }

    static func fill(_ spool: URL) throws {
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        for file in try inputs() {
            try FileManager.default.copyItem(at: file, to: spool.appendingPathComponent(file.lastPathComponent))
        }
    }

    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Every file under `root` (but the counters file) with its bytes.
    static func contents(_ root: URL) -> [String: Data] {
        var result: [String: Data] = [:]
        for case let relative as String in FileManager.default.enumerator(atPath: root.path) ?? FileManager.DirectoryEnumerator() {
            let url = root.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !relative.hasSuffix(".perfqd-stats.json") else { continue }
            result[relative] = FileManager.default.contents(atPath: url.path)
        }
        return result
    }

    /// `kill -9` at random moments, a restart after each, and the store must end byte for byte
    /// as an uninterrupted run leaves it: no sample lost, none applied twice.
    @Test(.timeLimit(.minutes(5))) func killNineAtRandomMomentsChangesNothing() throws {
        let root = temporaryDirectory("kill")
        // A short sample window, so that the journals are pruned during the run too.
        let config = root.appendingPathComponent("perfqd.cfg")
        try "sample_window = 900\nlog_level = 0\n".write(to: config, atomically: true, encoding: .utf8)
        let reference = root.appendingPathComponent("reference")
        try Self.fill(reference.appendingPathComponent("spool"))
        let clean = try Self.start(["--config", config.path, "--spool", reference.appendingPathComponent("spool").path, "--store", reference.appendingPathComponent("store").path, "--once", "--no-sync"])
        clean.waitUntilExit()
        #expect(clean.terminationStatus == 0)
        let expected = Self.contents(reference.appendingPathComponent("store"))
        #expect(expected.count > 100)

        var random = SystemRandomNumberGenerator()
        var kills = 0
        for round in 0..<2 {
            let run = root.appendingPathComponent("killed-\(round)")
            let spool = run.appendingPathComponent("spool")
            try Self.fill(spool)
            let arguments = ["--config", config.path, "--spool", spool.path, "--store", run.appendingPathComponent("store").path, "--once", "--no-sync"]
            var finished = false
            for attempt in 0..<40 where !finished {
                let process = try Self.start(arguments)
                if attempt < 25 {
                    usleep(UInt32.random(in: 1_000...60_000, using: &random))
                    if process.isRunning {
                        kill(process.processIdentifier, SIGKILL)
                        kills += 1
                    }
                }
                process.waitUntilExit()
                let left = try FileManager.default.contentsOfDirectory(atPath: spool.path).filter { $0.contains("perfdata.") }
                let claimed = (try? FileManager.default.contentsOfDirectory(atPath: spool.path + "/.perfq-work"))?.filter { $0.contains("perfdata.") } ?? []
                finished = process.terminationReason == .exit && process.terminationStatus == 0 && left.isEmpty && claimed.isEmpty
            }
            #expect(finished)
            let actual = Self.contents(run.appendingPathComponent("store"))
            #expect(Set(actual.keys) == Set(expected.keys), "round \(round): files differ: \(Set(actual.keys).symmetricDifference(expected.keys).prefix(5))")
            let differing = expected.keys.filter { actual[$0] != expected[$0] }.sorted()
            #expect(differing.isEmpty, "round \(round): \(differing.count) files differ after \(kills) kills, e.g. \(differing.prefix(3))")
        }
        #expect(kills >= 20, "the test killed the daemon \(kills) times")
        let journal = try String(contentsOf: reference.appendingPathComponent("store/web-01.example/Load/load1.samples"), encoding: .utf8)
        let times = journal.split(separator: "\n").compactMap { Int64($0.split(separator: " ")[0]) }
        #expect(times.last! - times.first! < 1800, "the journal was pruned to its window")
        try? FileManager.default.removeItem(at: root)
    }

    /// The daemon takes files moved into the spool while it runs, and stops on SIGTERM.
    @Test(.timeLimit(.minutes(1))) func watchesTheSpoolAndStopsOnSigterm() throws {
        let root = temporaryDirectory("daemon")
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let config = root.appendingPathComponent("npcd.cfg")
        try """
            # an npcd.cfg as PNP4Nagios ships it, plus perfqd's own keys
            user = nagios
            group = nagios
            log_type = file
            log_file = \(root.path)/perfqd.log
            log_level = 2
            perfdata_spool_dir = \(spool.path)
            perfdata_file_run_cmd = /usr/libexec/pnp4nagios/process_perfdata.pl
            perfdata_file_run_cmd_args = --bulk
            npcd_max_threads = 3
            sleep_time = 1
            pid_file = \(root.path)/perfqd.pid
            store_dir = \(store.path)
            synchronous = no
            no_such_key = 1
            """.write(to: config, atomically: true, encoding: .utf8)
        let process = try Self.start(["--config", config.path])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let input = try Self.inputs()[0]
        // Nagios writes elsewhere and renames into the spool, as the PNP4Nagios templates do.
        let staged = root.appendingPathComponent(input.lastPathComponent)
        try FileManager.default.copyItem(at: input, to: staged)
        #expect(rename(staged.path, spool.appendingPathComponent(input.lastPathComponent).path) == 0)
        var processed = false
        for _ in 0..<100 where !processed {
            usleep(100_000)
            processed = !FileManager.default.fileExists(atPath: spool.appendingPathComponent(input.lastPathComponent).path)
                && FileManager.default.fileExists(atPath: store.path + "/.perfqd-stats.json")
        }
        #expect(processed)
        #expect(FileManager.default.fileExists(atPath: root.path + "/perfqd.pid"))
        kill(process.processIdentifier, SIGHUP)
        usleep(300_000)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let log = (try? String(contentsOf: root.appendingPathComponent("perfqd.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("unknown key 'no_such_key'"))
        #expect(log.contains("SIGHUP"))
        #expect(log.contains("[info]") && log.contains("stopping"))
        #expect(!FileManager.default.fileExists(atPath: root.path + "/perfqd.pid"))
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: store.path + "/.perfqd-stats.json"))) as? [String: Any]
        #expect((stats?["files"] as? Int) == 1 && ((stats?["updates"] as? Int) ?? 0) > 0)
        try? FileManager.default.removeItem(at: root)
    }

    /// A file no line of which is a record goes to failed/ with a note; bad lines of a good file
    /// go to quarantine/ and the rest is stored.
    @Test func failedFilesAndQuarantine() throws {
        let root = temporaryDirectory("failed")
        let spool = root.appendingPathComponent("spool")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        try Data("this is not\na spool file\n".utf8).write(to: spool.appendingPathComponent("service-perfdata.1793577600"))
        let good = "DATATYPE::SERVICEPERFDATA\tTIMET::1793577660\tHOSTNAME::h\tSERVICEDESC::s\tSERVICEPERFDATA::a=1 b=UP\n"
            + "DATATYPE::SERVICEPERFDATA\tHOSTNAME::h\tSERVICEDESC::s\tSERVICEPERFDATA::a=2\n"
        try Data(good.utf8).write(to: spool.appendingPathComponent("service-perfdata.1793577700"))
        let process = try Self.start(["--spool", spool.path, "--store", root.appendingPathComponent("store").path, "--once", "--no-sync"])
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let note = try String(contentsOf: spool.appendingPathComponent("failed/service-perfdata.1793577600.reason"), encoding: .utf8)
        #expect(note.contains("no line of it is a perfdata record") && note.contains(":1: no HOSTNAME"))
        #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("failed/service-perfdata.1793577600").path))
        let quarantine = try String(contentsOf: spool.appendingPathComponent("quarantine/service-perfdata.1793577700"), encoding: .utf8)
        #expect(quarantine.contains("service-perfdata.1793577700:1: perfdata") && quarantine.contains("b=UP"))
        #expect(quarantine.contains("service-perfdata.1793577700:2: no TIMET"))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("store/h/s/a.rrd").path))
        try? FileManager.default.removeItem(at: root)
    }

    /// rrdtool can read the store while perfqd runs: files are locked only during a batch.
    @Test(.timeLimit(.minutes(1))) func readersWorkWhileTheDaemonRuns() throws {
        let root = temporaryDirectory("readers")
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        try Self.fill(spool)
        let process = try Self.start(["--spool", spool.path, "--store", store.path, "--no-sync"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var stored = false
        for _ in 0..<200 where !stored {
            usleep(100_000)
            stored = (try? FileManager.default.contentsOfDirectory(atPath: spool.path).filter { $0.contains("perfdata.") }.isEmpty) ?? false
                && ((try? FileManager.default.contentsOfDirectory(atPath: spool.path + "/.perfq-work").filter { $0.contains("perfdata.") }.isEmpty) ?? false)
                && FileManager.default.fileExists(atPath: store.path + "/web-01.example/Load/load1.rrd")
        }
        #expect(stored)
        let info = Process()
        info.executableURL = URL(fileURLWithPath: "/usr/bin/rrdtool")
        info.arguments = ["info", store.path + "/web-01.example/Load/load1.rrd"]
        info.standardOutput = FileHandle.nullDevice
        try info.run()
        info.waitUntilExit()
        #expect(info.terminationStatus == 0, "rrdtool info while perfqd holds the file open")
        // A second daemon on the same spool or store refuses to start.
        let second = try Self.start(["--spool", spool.path, "--store", root.appendingPathComponent("other").path, "--once"])
        second.waitUntilExit()
        #expect(second.terminationStatus == 1)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        try? FileManager.default.removeItem(at: root)
    }

    /// Times before 1980 are refused, not a crash; a line with thousands of bad items
    /// quarantines once; a store that fails keeps the file claimed and takes it up again.
    @Test(.timeLimit(.minutes(1))) func awkwardInputAndAStoreThatFails() throws {
        let root = temporaryDirectory("awkward")
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let bad = (0..<3000).map { "b\($0)=UP" }.joined(separator: " ")
        let text = "DATATYPE::SERVICEPERFDATA\tTIMET::0\tHOSTNAME::h\tSERVICEDESC::early\tSERVICEPERFDATA::a=1\n"
            + "DATATYPE::SERVICEPERFDATA\tTIMET::1793577660\tHOSTNAME::h\tSERVICEDESC::s\tSERVICEPERFDATA::ok=1 \(bad)\n"
        try Data(text.utf8).write(to: spool.appendingPathComponent("service-perfdata.1793577700"))
        var run = try Self.start(["--spool", spool.path, "--store", store.path, "--once", "--no-sync"])
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        let quarantine = try Data(contentsOf: spool.appendingPathComponent("quarantine/service-perfdata.1793577700"))
        #expect(quarantine.count < 400_000, "quarantine of \(quarantine.count) bytes for a \(text.utf8.count)-byte file")
        #expect(String(decoding: quarantine, as: UTF8.self).contains("before 1980"))
        #expect(FileManager.default.fileExists(atPath: store.path + "/h/s/ok.rrd"))

        // A journal path taken by a directory makes the store fail for that series.
        try FileManager.default.createDirectory(atPath: store.path + "/h/s/ok.samples.blocked", withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: store.path + "/h/s/ok.samples")
        try FileManager.default.moveItem(atPath: store.path + "/h/s/ok.samples.blocked", toPath: store.path + "/h/s/ok.samples")
        let next = "DATATYPE::SERVICEPERFDATA\tTIMET::1793577720\tHOSTNAME::h\tSERVICEDESC::s\tSERVICEPERFDATA::ok=2\n"
        try Data(next.utf8).write(to: spool.appendingPathComponent("service-perfdata.1793577760"))
        run = try Self.start(["--spool", spool.path, "--store", store.path, "--once", "--no-sync"])
        run.waitUntilExit()
        #expect(run.terminationStatus == 1)
        #expect(FileManager.default.fileExists(atPath: spool.path + "/.perfq-work/service-perfdata.1793577760"))
        #expect(!FileManager.default.fileExists(atPath: spool.path + "/failed/service-perfdata.1793577760"))
        try FileManager.default.removeItem(atPath: store.path + "/h/s/ok.samples")
        run = try Self.start(["--spool", spool.path, "--store", store.path, "--once", "--no-sync"])
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: spool.path + "/.perfq-work/service-perfdata.1793577760"))
        let journal = try String(contentsOfFile: store.path + "/h/s/ok.samples", encoding: .utf8)
        #expect(journal == "1793577720 2\n")
        try? FileManager.default.removeItem(at: root)
    }
}
