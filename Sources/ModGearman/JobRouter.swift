import Foundation
import Ingest

/// The router of a sharded site: takes Mod-Gearman's perfdata jobs and passes each one on,
/// unchanged, to `<queue>_<shard>`, the shard chosen by host name (`ShardMap`), so that every
/// host has one storage node and every series one writer.
///
/// A job is completed only after gearmand has taken its copy for the shard. A router that dies
/// in between makes gearmand hand the job out again, and the storage node skips the second copy
/// as not newer.
public final class JobRouter {
    let servers: String
    let queues: [String]
    let key: ModGearmanKey?
    public let map: ShardMap
    let logger: Logger
    private(set) var routed: [String: Int] = [:]
    private(set) var undecodable = 0

    public init(settings: GearmanSettings, logger: Logger) throws {
        servers = settings.serverList
        queues = settings.queues
        key = try settings.resolvedKey()
        map = try ShardMap(settings.shards)
        self.logger = logger
    }

    public func run(signals: SignalFlags) -> Int32 {
        logger.info("routing perfdata jobs from \(queues.joined(separator: ", ")) on \(servers) to shards \(map.shards.joined(separator: ", "))")
        var connections: (worker: GearmanWorker?, client: GearmanClient)?
        var failing = false
        var reported = Date()
        while !signals.isStopRequested {
            do {
                let client = try connections?.client ?? GearmanClient(servers: servers)
                let current = (worker: try connections?.worker ?? GearmanWorker(servers: servers, queues: queues), client: client)
                connections = current
                var batch: [GearmanJob] = []
                while batch.count < 1000, !signals.isStopRequested, case .job(let job) = try current.worker.grab() {
                    batch.append(job)
                }
                if failing {
                    logger.info("gearmand answers again")
                    failing = false
                }
                if !batch.isEmpty {
                    try route(batch, through: current.client)
                }
                if current.worker.isUsedUp {
                    connections = (nil, current.client)
                    if batch.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
                }
            } catch {
                // Closing the connections gives every job in hand back to gearmand.
                connections = nil
                if !failing { logger.error("gearman: \(error); trying again every 2 s") }
                failing = true
                Thread.sleep(forTimeInterval: 2)
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
        "routed " + map.shards.map { "\(routed[$0] ?? 0) to \($0)" }.joined(separator: ", ") + ", \(undecodable) undecodable"
    }

    private func route(_ batch: [GearmanJob], through client: GearmanClient) throws(GearmanError) {
        var outgoing: [GearmanClient.Job] = []
        var shards: [String] = []
        for job in batch {
            do {
                let text = try JobPayload.text(of: job.payload, key: key)
                let firstLine = text.prefix { $0 != UInt8(ascii: "\n") }
                guard let host = JobPayload.field("HOSTNAME", in: firstLine) else {
                    throw JobPayloadError("the job holds no HOSTNAME:: field")
                }
                let shard = map.shard(forHost: host)
                outgoing.append(.init(queue: "\(job.queue)_\(shard)", payload: job.payload, unique: job.unique))
                shards.append(shard)
            } catch {
                undecodable += 1
                logger.error("gearman: a job from \(job.queue) cannot be read and is not passed on: \(error)")
            }
        }
        try client.submitInBackground(outgoing)
        for shard in shards { routed[shard, default: 0] += 1 }
        for job in batch where !job.complete() {
            logger.debug("gearman: could not complete job \(job.handle)")
        }
    }
}
