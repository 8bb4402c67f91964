import Foundation
import Ingest
import Store

/// A storage node's side of Mod-Gearman: takes perfdata jobs from gearmand, writes them into the
/// spool as ordinary spool files, durably, and only then completes them. The spool watcher
/// stores them from there with the guarantees it gives Nagios's own files.
///
/// Why the spool and not the store: gearmand queues a job again at the *end* of its queue when
/// the worker holding it dies. Taken from there, it would come after newer samples of the same
/// series and be skipped as not newer. Jobs in the spool are safe and in order; the only jobs
/// that can be queued again are those in hand and not yet written, and each batch is sorted by
/// check time, so a restarted worker that finds them in its first batch stores them in order.
public final class JobReceiver: SpoolFeeder {
    let servers: String
    let queues: [String]
    let key: ModGearmanKey?
    /// Jobs taken before they are written: bounds memory, and the time a job waits in hand.
    let batchLimit: Int
    let batchSeconds: Double

    public init(settings: GearmanSettings, batchLimit: Int = 10_000, batchSeconds: Double = 0.5) throws(JobPayloadError) {
        servers = settings.serverList
        queues = settings.queues
        key = try settings.resolvedKey()
        self.batchLimit = batchLimit
        self.batchSeconds = batchSeconds
    }

    public func feed(_ spool: SpoolDirectory, logger: Logger, counters: FeederCounters, signals: SignalFlags) {
        logger.info("taking perfdata jobs from \(queues.joined(separator: ", ")) on \(servers)\(key == nil ? " (not encrypted)" : "")")
        var writer = SpoolFileWriter(spool: spool)
        var worker: GearmanWorker?
        var failing = false
        while !signals.isStopRequested {
            do {
                let current = try worker ?? GearmanWorker(servers: servers, queues: queues)
                worker = current
                let batch = try take(from: current, signals: signals)
                if failing {
                    logger.info("gearmand answers again")
                    failing = false
                }
                if !batch.isEmpty {
                    try store(batch, with: &writer, spool: spool, logger: logger, counters: counters)
                }
                if current.isUsedUp {
                    worker = nil
                    if batch.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
                }
            } catch {
                // Closing the connection gives every job in hand back to gearmand.
                worker = nil
                if !failing { logger.error("gearman: \(error); trying again every 2 s") }
                failing = true
                Thread.sleep(forTimeInterval: 2)
            }
        }
    }

    /// Jobs waiting now: until the queues are empty, the limit is reached or time is up.
    private func take(from worker: GearmanWorker, signals: SignalFlags) throws(GearmanError) -> [GearmanJob] {
        var batch: [GearmanJob] = []
        let deadline = Date().addingTimeInterval(batchSeconds)
        while batch.count < batchLimit, !signals.isStopRequested {
            guard case .job(let job) = try worker.grab() else { break }
            batch.append(job)
            if Date() > deadline { break }
        }
        return batch
    }

    private func store(_ batch: [GearmanJob], with writer: inout SpoolFileWriter, spool: SpoolDirectory, logger: Logger,
                       counters: FeederCounters) throws {
        var lines: [(time: Int64, line: [UInt8])] = []
        var undecodable: [(GearmanJob, JobPayloadError)] = []
        for job in batch {
            do {
                for line in try JobPayload.text(of: job.payload, key: key).split(separator: UInt8(ascii: "\n")) {
                    lines.append((Self.checkTime(line), Array(line)))
                }
            } catch {
                undecodable.append((job, error))
            }
        }
        // Stable: records of one check time keep the order gearmand gave them.
        lines.sort { $0.time < $1.time }
        if !lines.isEmpty {
            try writer.write(lines.flatMap { $0.line + [UInt8(ascii: "\n")] })
        }
        for (job, error) in undecodable {
            let name = try writer.keepUndecodable(job.payload, reason: "\(job.queue) job \(job.handle): \(error)")
            logger.error("gearman: a job from \(job.queue) cannot be read, kept as \(name) in \(spool.failedPath): \(error)")
        }
        try writer.synchronize()
        for job in batch where !job.complete() {
            // gearmand gives it out again; the copy in the spool is skipped then as not newer.
            logger.debug("gearman: could not complete job \(job.handle)")
        }
        counters.jobs.add(batch.count - undecodable.count, ordering: .relaxed)
        counters.undecodableJobs.add(undecodable.count, ordering: .relaxed)
    }

    /// The record's TIMET, for ordering; a record without one sorts first and is reported by the
    /// spool reader as it always is.
    static func checkTime(_ line: ArraySlice<UInt8>) -> Int64 {
        JobPayload.field("TIMET", in: line).flatMap { Int64(String(decoding: $0, as: UTF8.self)) } ?? .min
    }
}
