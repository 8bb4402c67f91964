import Foundation
import Ingest

/// The router of a sharded site: takes Mod-Gearman's perfdata jobs and passes each one on,
/// unchanged, to `<queue>_<shard>`, the shard chosen by host name (`ShardMap`), so that every
/// host has one storage node and every series one writer.
///
/// A job is completed only after gearmand has taken its copy for the shard; the jobs in hand are
/// in the intake, so a router killed in between passes them on first when it starts again, and
/// gearmand's later copies are skipped by the storage nodes as not newer. A job it cannot read is
/// kept in `<spool>/failed/`, as a storage node keeps one.
public final class JobRouter {
    let settings: GearmanSettings
    public let map: ShardMap
    let spool: SpoolDirectory
    let logger: Logger
    private(set) var routed: [String: Int] = [:]
    private(set) var unreadable = 0

    public init(settings: GearmanSettings, spool: SpoolDirectory, logger: Logger) throws {
        _ = try settings.resolvedKey()
        self.settings = settings
        map = try ShardMap(settings.shards)
        self.spool = spool
        self.logger = logger
    }

    public func run(signals: SignalFlags) -> Int32 {
        do {
            try spool.prepare()
        } catch {
            logger.error("cannot start: \(error)")
            return 1
        }
        guard let lock = spool.lockExclusively() else {
            logger.error("cannot start: another perfqd uses \(spool.path)")
            return 1
        }
        defer { close(lock) }
        let consumer: JobConsumer
        do {
            consumer = try JobConsumer(settings: settings, spool: spool, logger: logger, batchLimit: 10_000, batchSeconds: 0.2)
        } catch {
            logger.error("cannot start: \(error)")
            return 2
        }
        logger.info("routing perfdata jobs from \(consumer.queues.joined(separator: ", ")) on \(consumer.servers) to shards \(map.shards.joined(separator: ", "))")
        var client: GearmanClient?
        var writer = SpoolFileWriter(spool: spool)
        var reported = Date()
        consumer.run(signals: signals) { batch in
            let current = try client ?? GearmanClient(servers: consumer.servers)
            client = current
            do {
                try route(batch, through: current, key: consumer.key, writer: &writer)
            } catch {
                client = nil
                throw error
            }
            if Date().timeIntervalSince(reported) >= 60 {
                logger.info(summary)
                reported = Date()
            }
        }
        logger.info("router stopping: \(summary)")
        return 0
    }

    var summary: String {
        "routed " + map.shards.map { "\(routed[$0] ?? 0) to \($0)" }.joined(separator: ", ") + ", \(unreadable) unreadable"
    }

    private func route(_ batch: [ReadJob], through client: GearmanClient, key: ModGearmanKey?, writer: inout SpoolFileWriter) throws {
        var outgoing: [(time: Int64, job: GearmanClient.Job)] = []
        var unreadableJobs: [(HeldJob, JobPayloadError)] = []
        for job in batch {
            switch job.text {
            case .failure(let error):
                unreadableJobs.append((job.held, error))
            case .success(let text):
                // A job of several lines may name several hosts: each line goes to its host's shard.
                var byShard: [String: [ArraySlice<UInt8>]] = [:]
                var order: [String] = []
                for line in text.split(separator: UInt8(ascii: "\n")) {
                    let shard = map.shard(forHost: JobPayload.field("HOSTNAME", in: line) ?? [])
                    if byShard[shard] == nil { order.append(shard) }
                    byShard[shard, default: []].append(line)
                }
                let time = JobReceiver.checkTime(byShard[order[0]]![0])
                if order.count == 1 {
                    outgoing.append((time, .init(queue: "\(job.held.queue)_\(order[0])", payload: job.held.payload, unique: job.held.unique)))
                } else {
                    for shard in order {
                        let lines = Array(byShard[shard]!.joined(separator: [UInt8(ascii: "\n")]))
                        outgoing.append((time, .init(queue: "\(job.held.queue)_\(shard)", payload: JobPayload.encode(lines, key: key))))
                    }
                }
            }
        }
        // In check time order, as a storage node sorts its batches: a job handed out again (a
        // router gone) comes in behind newer ones.
        outgoing.sort { $0.time < $1.time }
        try client.submitInBackground(outgoing.map(\.job))
        for (_, job) in outgoing {
            routed[String(job.queue.split(separator: "_").last ?? ""), default: 0] += 1
        }
        for (job, error) in unreadableJobs {
            let name = try writer.keepUnreadable(job.payload, reason: "a job from \(job.queue): \(error)")
            logger.error("gearman: a job from \(job.queue) cannot be read and is not passed on; kept as \(name) in \(spool.failedPath): \(error)")
        }
        if !unreadableJobs.isEmpty { try writer.synchronize() }
        unreadable += unreadableJobs.count
    }
}
