import Foundation
import Ingest
import Store

/// A storage node's side of Mod-Gearman: takes perfdata jobs from gearmand and writes them into
/// the spool as ordinary spool files, durably, before it completes them. The spool watcher stores
/// them from there with the guarantees it gives Nagios's own files.
///
/// Each batch is sorted by check time: a batch can hold jobs that gearmand handed out again (a
/// connection lost, a worker gone) behind newer checks of the same services.
public final class JobReceiver: SpoolFeeder {
    let settings: GearmanSettings
    let batchLimit: Int
    let batchSeconds: Double

    /// Checks the key now, so that a missing one stops perfqd before it starts.
    public init(settings: GearmanSettings, batchLimit: Int = 10_000, batchSeconds: Double = 0.5) throws(JobPayloadError) {
        _ = try settings.resolvedKey()
        self.settings = settings
        self.batchLimit = batchLimit
        self.batchSeconds = batchSeconds
    }

    public func feed(_ spool: SpoolDirectory, logger: Logger, counters: FeederCounters, signals: SignalFlags) {
        let consumer: JobConsumer
        do {
            consumer = try JobConsumer(settings: settings, spool: spool, logger: logger, batchLimit: batchLimit, batchSeconds: batchSeconds)
        } catch {
            logger.error("gearman: \(error)")
            return
        }
        logger.info("taking perfdata jobs from \(consumer.queues.joined(separator: ", ")) on \(consumer.servers)\(consumer.key == nil ? " (not encrypted)" : "")")
        // A spool file half written when an earlier perfqd was killed: its jobs are in the intake.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
        where name.hasPrefix("perfdata.") && name.hasSuffix(".tmp") {
            unlink(spool.path + "/" + name)
        }
        var writer = SpoolFileWriter(spool: spool)
        consumer.run(signals: signals) { batch in
            try store(batch, with: &writer, logger: logger, counters: counters)
        }
    }

    private func store(_ batch: [ReadJob], with writer: inout SpoolFileWriter, logger: Logger, counters: FeederCounters) throws {
        var lines: [(time: Int64, line: ArraySlice<UInt8>)] = []
        var unreadable: [(HeldJob, JobPayloadError)] = []
        for job in batch {
            switch job.text {
            case .success(let text):
                for line in text.split(separator: UInt8(ascii: "\n")) { lines.append((Self.checkTime(line), line)) }
            case .failure(let error):
                unreadable.append((job.held, error))
            }
        }
        // Stable: records of one check time keep the order gearmand gave them.
        lines.sort { $0.time < $1.time }
        if !lines.isEmpty {
            try writer.write(lines.flatMap { $0.line + [UInt8(ascii: "\n")] })
        }
        for (job, error) in unreadable {
            let name = try writer.keepUnreadable(job.payload, reason: "a job from \(job.queue): \(error)")
            logger.error("gearman: a job from \(job.queue) cannot be read, kept as \(name) in \(writer.spool.failedPath): \(error)")
        }
        try writer.synchronize()
        counters.jobs.add(batch.count - unreadable.count, ordering: .relaxed)
        counters.undecodableJobs.add(unreadable.count, ordering: .relaxed)
    }

    /// The record's TIMET, for ordering; a record without one sorts first and is reported by the
    /// spool reader as it always is.
    static func checkTime(_ line: ArraySlice<UInt8>) -> Int64 {
        JobPayload.field("TIMET", in: line).flatMap { Int64(String(decoding: $0, as: UTF8.self)) } ?? .min
    }
}
