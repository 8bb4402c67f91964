import Foundation
import Ingest
@testable import ModGearman
import Testing

/// perfqd against a real gearmand: Mod-Gearman's jobs in, the same store out as from the spool.
@Suite(.serialized) struct WorkerTests {
    static let key = "should_be_changed"

    static func submit(_ payloads: [[UInt8]], to queue: String, on gearmand: Gearmand) throws {
        let client = try GearmanClient(servers: gearmand.address)
        try client.submitInBackground(payloads.map { GearmanClient.Job(queue: queue, payload: $0) })
    }

    static func encrypted(_ lines: [String]) -> [[UInt8]] {
        lines.map { JobPayload.encode(Array($0.utf8), key: ModGearmanKey(key)) }
    }

    /// Jobs are queued in the order they are submitted, and taken in that order.
    @Test(.timeLimit(.minutes(1))) func jobsKeepTheirOrder() throws {
        let gearmand = try Gearmand(directory: temporaryDirectory("gearman-order"))
        let payloads = (0..<3000).map { Array("job \($0)".utf8) }
        try Self.submit(payloads, to: "order", on: gearmand)
        let worker = try GearmanWorker(servers: gearmand.address, queues: ["order"])
        var taken: [GearmanJob] = []
        while case .job(let job) = try worker.grab() { taken.append(job) }
        #expect(taken.map(\.payload) == payloads)
        #expect(taken.allSatisfy { $0.complete() })
    }

    /// An idle worker keeps asking on its one connection, so gearmand counts it as a worker; one
    /// that has given jobs is used up once the queue is empty (libgearman 1.1.20 would crash).
    @Test(.timeLimit(.minutes(1))) func anIdleWorkerStaysConnected() throws {
        let gearmand = try Gearmand(directory: temporaryDirectory("gearman-idle"))
        let worker = try GearmanWorker(servers: gearmand.address, queues: ["idle"])
        for _ in 0..<20 {
            guard case .none = try worker.grab() else { Issue.record("a job from an empty queue"); return }
            #expect(!worker.isUsedUp)
        }
        #expect(gearmand.status()["idle"]?.workers == 1)
        try Self.submit([Array("one".utf8), Array("two".utf8)], to: "idle", on: gearmand)
        var taken: [GearmanJob] = []
        while case .job(let job) = try worker.grab() { taken.append(job) }
        #expect(taken.map(\.payload) == [Array("one".utf8), Array("two".utf8)])
        #expect(worker.isUsedUp)
        #expect(taken.allSatisfy { $0.complete() })
    }

    @Test(.timeLimit(.minutes(3))) func jobsOfEveryKind() throws {
        let root = temporaryDirectory("gearman-kinds")
        let gearmand = try Gearmand(directory: root)
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        let ours = checkResults(hosts: 5, rounds: 3).flatMap { $0 }
        let theirs = checkResults(hosts: 2, rounds: 3, prefix: "openssl").flatMap { $0 }
        let noTime = "DATATYPE::SERVICEPERFDATA\tHOSTNAME::host-0\tSERVICEDESC::Load\tSERVICEPERFDATA::load1=1"
        let wrongKey = [ours[0], ours[1]].map { JobPayload.encode(Array($0.utf8), key: ModGearmanKey("not the key")) }
        let notBase64 = Array("%%% not a job %%%".utf8)
        let unencrypted = JobPayload.encode(Array(ours[2].utf8), key: nil)

        let perfqd = try startPerfqd(["--spool", spool.path, "--store", store.path, "--gearman", gearmand.address, "--key", Self.key],
                                     log: root.appendingPathComponent("perfqd.log"))
        defer { stop(perfqd) }
        try Self.submit(Self.encrypted(ours) + wrongKey + [notBase64], to: "perfdata", on: gearmand)
        try Self.submit(try theirs.map { try JobPayloadTests.opensslPayload($0, key: Self.key) } + [unencrypted] + Self.encrypted([noTime]),
                        to: "perfdata", on: gearmand)
        try waitUntil(timeout: 60) { gearmand.isIdle && isDrained(spool) && counters(store).map { $0.jobs + $0.undecodableJobs } == 26 }

        let reference = try referenceStore(ours + theirs, in: root)
        #expect(contents(store) == contents(reference))
        #expect(contents(store).keys.contains { $0.hasPrefix("openssl-1/") })
        let stats = try #require(counters(store))
        #expect(stats.jobs == ours.count + theirs.count + 1)
        #expect(stats.undecodableJobs == 4)
        // The summary at the stop counts the jobs too.
        stop(perfqd)
        let log = try String(contentsOf: root.appendingPathComponent("perfqd.log"), encoding: .utf8)
        #expect(log.contains("perfqd stopping:") && log.contains("\(stats.jobs) gearman jobs, 4 undecodable"))
        // Unreadable jobs are kept as they came, with the reason and a hint beside them.
        let failed = spool.appendingPathComponent("failed")
        var reasons: [Data: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: failed.path) where name.hasPrefix("gearman-job.") && !name.hasSuffix(".reason") {
            let payload = try #require(FileManager.default.contents(atPath: failed.appendingPathComponent(name).path))
            reasons[payload] = try String(contentsOf: failed.appendingPathComponent(name + ".reason"), encoding: .utf8)
        }
        #expect(Set(reasons.keys) == Set((wrongKey + [notBase64, unencrypted]).map { Data($0) }))
        for payload in wrongKey { #expect(reasons[Data(payload)]?.contains("check that the key") == true) }
        #expect(reasons[Data(unencrypted)]?.contains("set encryption = no") == true)
        #expect(reasons[Data(notBase64)]?.contains("neither base64 nor a spool line") == true)
        // The job without a check time is read, and its line quarantined with the reason.
        let quarantine = try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("quarantine").path)
        let notes = try quarantine.map { try String(contentsOf: spool.appendingPathComponent("quarantine/\($0)"), encoding: .utf8) }.joined()
        #expect(notes.contains("no TIMET") && notes.contains("HOSTNAME::host-0\tSERVICEDESC::Load"))
    }

    @Test(.timeLimit(.minutes(3))) func unencryptedJobsWithEncryptionOff() throws {
        let root = temporaryDirectory("gearman-plain")
        let gearmand = try Gearmand(directory: root)
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        let lines = checkResults(hosts: 3, rounds: 4).flatMap { $0 }
        let perfqd = try startPerfqd(["--spool", spool.path, "--store", store.path, "--gearman", gearmand.address,
                                      "--queue", "perfdata_plain,perfdata_other", "--no-encryption"], log: root.appendingPathComponent("perfqd.log"))
        defer { stop(perfqd) }
        // Half base64 as Mod-Gearman sends them with encryption=no, half plain lines; host-0 on one
        // queue, the others on another (each series on one queue, as Mod-Gearman sends them).
        let payloads = lines.enumerated().map { $0.offset % 2 == 0 ? JobPayload.encode(Array($0.element.utf8), key: nil) : Array($0.element.utf8) }
        let client = try GearmanClient(servers: gearmand.address)
        try client.submitInBackground(payloads.enumerated().map { .init(queue: $0.offset % 3 == 0 ? "perfdata_plain" : "perfdata_other", payload: $0.element) })
        try waitUntil(timeout: 60) { gearmand.isIdle && isDrained(spool) && counters(store)?.jobs == lines.count }
        #expect(contents(store) == contents(try referenceStore(lines, in: root)))
    }

    /// A router and two storage nodes: each host's series in exactly one store, the one the shard
    /// map names, and together the stores hold what one spool run makes of every job.
    @Test(.timeLimit(.minutes(3))) func routerAndTwoStorageNodes() throws {
        let root = temporaryDirectory("gearman-shards")
        let gearmand = try Gearmand(directory: root)
        let lines = checkResults(hosts: 24, rounds: 4).flatMap { $0 }
        var processes: [Process] = []
        defer { processes.forEach(stop) }
        processes.append(try startPerfqd(["--gearman", gearmand.address, "--key", Self.key, "--route-to", "a,b",
                                          "--spool", root.appendingPathComponent("router").path],
                                         log: root.appendingPathComponent("router.log")))
        for shard in ["a", "b"] {
            processes.append(try startPerfqd(["--spool", root.appendingPathComponent("spool-\(shard)").path,
                                              "--store", root.appendingPathComponent("store-\(shard)").path,
                                              "--gearman", gearmand.address, "--queue", "perfdata_\(shard)", "--key", Self.key],
                                             log: root.appendingPathComponent("node-\(shard).log")))
        }
        let map = try ShardMap(list: "a,b")
        // One job of two lines whose hosts live on different shards: each line goes to its own.
        let hostA = try #require((0..<100).map { "multi-\($0)" }.first { map.shard(forHost: $0) == "a" })
        let hostB = try #require((0..<100).map { "multi-\($0)" }.first { map.shard(forHost: $0) == "b" })
        let time = Int64(Date().timeIntervalSince1970) - 600
        let multiLine = [serviceLine(host: hostA, time: time, perfdata: "x=1"), serviceLine(host: hostB, time: time, perfdata: "x=2")]
        try Self.submit(Self.encrypted(lines + [multiLine.joined(separator: "\n")]), to: "perfdata", on: gearmand)
        try waitUntil(timeout: 60) {
            gearmand.isIdle && ["a", "b"].allSatisfy { isDrained(root.appendingPathComponent("spool-\($0)")) }
                && ["a", "b"].compactMap { counters(root.appendingPathComponent("store-\($0)"))?.records }.reduce(0, +) == lines.count + 2
        }
        var union: [String: Data] = [:]
        for shard in ["a", "b"] {
            let stored = contents(root.appendingPathComponent("store-\(shard)"))
            let hosts = Set(stored.keys.map { String($0.prefix { $0 != "/" }) })
            #expect(!hosts.isEmpty)
            for host in hosts { #expect(map.shard(forHost: host) == shard, "\(host) is in store-\(shard)") }
            union.merge(stored) { first, _ in Issue.record("a file in both stores"); return first }
        }
        #expect(union == contents(try referenceStore(lines + multiLine, in: root)))
    }

    /// `kill -9` while jobs stream in, a restart each time: the store ends as one uninterrupted
    /// spool run leaves it, so no job was lost and none applied twice.
    @Test(.timeLimit(.minutes(5))) func killNineMidStreamLosesNothing() throws {
        let root = temporaryDirectory("gearman-kill")
        let gearmand = try Gearmand(directory: root)
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        let rounds = checkResults(hosts: 40, rounds: 30)
        let arguments = ["--spool", spool.path, "--store", store.path, "--gearman", gearmand.address, "--key", Self.key]
        let log = root.appendingPathComponent("perfqd.log")
        var perfqd = try startPerfqd(arguments, log: log)
        defer { stop(perfqd) }

        let submitter = Thread {
            for round in rounds {
                try? Self.submit(Self.encrypted(round), to: "perfdata", on: gearmand)
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        submitter.start()
        var generator = SystemRandomNumberGenerator()
        // Kills spread over the three seconds the checks stream in.
        for _ in 0..<8 {
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.5, using: &generator))
            kill(perfqd.processIdentifier, SIGKILL)
            perfqd.waitUntilExit()
            perfqd = try startPerfqd(arguments, log: log)
        }
        let lines = rounds.flatMap { $0 }
        do {
            try waitUntil(timeout: 120) { submitter.isFinished && gearmand.isIdle && isDrained(spool) }
        } catch {
            Issue.record("\(error)\n\(diagnosis(gearmand, perfqd))")
            return
        }
        stop(perfqd)
        #expect(perfqd.terminationStatus == 0)
        #expect(contents(store) == contents(try referenceStore(lines, in: root)))
        let failed = try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("failed").path)
        #expect(failed.isEmpty)
    }

    /// A backlog waiting, and `kill -9` while perfqd has thousands of jobs in hand: gearmand puts
    /// them back behind newer checks, but the restarted perfqd stores them first, from its intake.
    @Test(.timeLimit(.minutes(5)), arguments: [false, true]) func killNineWithABacklogLosesNothing(throughRouter: Bool) throws {
        let root = temporaryDirectory("gearman-backlog")
        let gearmand = try Gearmand(directory: root)
        let lines = checkResults(hosts: 100, rounds: 80).flatMap { $0 }
        try Self.submit(Self.encrypted(lines), to: "perfdata", on: gearmand)
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        let nodeArguments = ["--spool", spool.path, "--store", store.path, "--gearman", gearmand.address, "--key", Self.key]
            + (throughRouter ? ["--queue", "perfdata_a"] : [])
        let routerArguments = ["--gearman", gearmand.address, "--key", Self.key, "--route-to", "a", "--spool", root.appendingPathComponent("router").path]
        let log = root.appendingPathComponent(throughRouter ? "router.log" : "perfqd.log")
        var victim = try startPerfqd(throughRouter ? routerArguments : nodeArguments, log: log)
        let node = throughRouter ? try startPerfqd(nodeArguments, log: root.appendingPathComponent("perfqd.log")) : nil
        defer {
            stop(victim)
            node.map(stop)
        }
        var kills = 0
        for _ in 0..<4 {
            // Killed the moment it holds jobs.
            let queue = "perfdata"
            try waitUntil(timeout: 30, holding: 0) { (gearmand.status()[queue]?.running ?? 0) > 0 || gearmand.status()[queue]?.queued == 0 }
            guard (gearmand.status()[queue]?.queued ?? 0) > 0 else { break }
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            kills += 1
            victim = try startPerfqd(throughRouter ? routerArguments : nodeArguments, log: log)
        }
        #expect(kills > 0, "the backlog was gone before a kill")
        do {
            try waitUntil(timeout: 120) { gearmand.isIdle && isDrained(spool) }
        } catch {
            Issue.record("\(error)\n\(diagnosis(gearmand, node ?? victim))")
            return
        }
        stop(victim)
        node.map(stop)
        #expect(contents(store) == contents(try referenceStore(lines, in: root)))
    }

    /// A wrong key is no reason to throw jobs away: after a few, perfqd leaves them in gearmand,
    /// and once it runs with the right key they are all stored. Both when a backlog waits and when
    /// the jobs come one at a time, each alone in its batch.
    @Test(.timeLimit(.minutes(3)), arguments: [false, true]) func aWrongKeyLeavesTheJobsInGearmand(oneAtATime: Bool) throws {
        let root = temporaryDirectory("gearman-wrong-key")
        let gearmand = try Gearmand(directory: root)
        let spool = root.appendingPathComponent("spool")
        let store = root.appendingPathComponent("store")
        let lines = checkResults(hosts: 10, rounds: 5).flatMap { $0 }
        if !oneAtATime { try Self.submit(Self.encrypted(lines), to: "perfdata", on: gearmand) }
        let log = root.appendingPathComponent("perfqd.log")
        let wrong = try startPerfqd(["--spool", spool.path, "--store", store.path, "--gearman", gearmand.address, "--key", "not the key"], log: log)
        defer { stop(wrong) }
        if oneAtATime {
            for job in Self.encrypted(lines) {
                try Self.submit([job], to: "perfdata", on: gearmand)
                Thread.sleep(forTimeInterval: 0.3)
            }
        }
        try waitUntil(timeout: 30) { (try? String(contentsOf: log, encoding: .utf8))?.contains("jobs in a row cannot be read") == true }
        // Given back while perfqd waits, not held until it stops.
        try waitUntil(timeout: 10) { gearmand.status()["perfdata"].map { $0.queued == lines.count && $0.running == 0 } == true }
        stop(wrong)
        let failed = (try? FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("failed").path)) ?? []
        #expect(failed.isEmpty)

        let right = try startPerfqd(["--spool", spool.path, "--store", store.path, "--gearman", gearmand.address, "--key", Self.key], log: log)
        defer { stop(right) }
        try waitUntil(timeout: 60) { gearmand.isIdle && isDrained(spool) && counters(store)?.records == lines.count }
        #expect(contents(store) == contents(try referenceStore(lines, in: root)))
    }
}
