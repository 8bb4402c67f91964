import Foundation
import Ingest

/// A job taken from gearmand, and what it says.
struct ReadJob {
    var held: HeldJob
    var text: Result<[UInt8], JobPayloadError>
}

/// What a storage node and a router share: jobs taken from gearmand in batches and noted in the
/// intake as they come, read, handed to `deliver` to be made safe (written into the spool, or
/// passed on), and only then completed.
final class JobConsumer {
    let servers: String
    let queues: [String]
    let key: ModGearmanKey?
    let spool: SpoolDirectory
    let logger: Logger
    /// Jobs taken before they are delivered: bounds memory, and the time a job waits in hand.
    let batchLimit: Int
    let batchSeconds: Double
    /// This many unreadable jobs in a row, none readable between, is a wrong key or a sender
    /// misconfigured, not a damaged job: they are left in gearmand until that is put right.
    static let unreadableRun = 10

    init(settings: GearmanSettings, spool: SpoolDirectory, logger: Logger, batchLimit: Int, batchSeconds: Double) throws(JobPayloadError) {
        servers = settings.serverList
        queues = settings.queues
        key = try settings.resolvedKey()
        self.spool = spool
        self.logger = logger
        self.batchLimit = batchLimit
        self.batchSeconds = batchSeconds
    }

    func read(_ job: HeldJob) -> ReadJob {
        ReadJob(held: job, text: Result { () throws(JobPayloadError) in try JobPayload.text(of: job.payload, key: key) })
    }

    func run(signals: SignalFlags, deliver: ([ReadJob]) throws -> Void) {
        var intake = JobIntake(path: spool.workPath + "/gearman-intake")
        // What a killed predecessor had in hand goes into the first batch, sorted with what is
        // waiting, and stays in the intake until that batch is safe. Jobs of it that cannot be
        // read are left to gearmand, which still has them all.
        var recovered = intake.recover().map(read).filter { (try? $0.text.get()) != nil }
        if !recovered.isEmpty {
            logger.info("gearman: \(recovered.count) jobs that a stopped perfqd had taken go first")
        }
        var worker: GearmanWorker?
        var unreadableInARow = 0
        var failing = false
        // A job on its way to a process killed before it noted it went back to the end of the
        // queue: the first batch takes everything waiting, up to the limit, however long that
        // takes, so that it comes into one sorted batch with the newer checks queued before it.
        var isFirstBatch = true
        while !signals.isStopRequested {
            var batch: [GearmanJob] = []
            var failure: (any Error)?
            do {
                let current = try worker ?? GearmanWorker(servers: servers, queues: queues)
                worker = current
                failure = take(from: current, into: &batch, intake: &intake, timeLimited: !isFirstBatch, signals: signals)
                if current.isUsedUp || failure != nil { worker = nil }
            } catch {
                failure = error
            }
            if let failure {
                // The jobs taken before the connection failed are delivered all the same: gearmand
                // hands them out again, and their second copies are skipped as not newer.
                if !failing { logger.error("gearman: \(failure); trying again every 2 s") }
                failing = true
            } else if failing {
                logger.info("gearman: gearmand answers again")
                failing = false
            }
            if batch.isEmpty && recovered.isEmpty {
                Thread.sleep(forTimeInterval: failure == nil ? 0.2 : 2)
                continue
            }
            isFirstBatch = false
            let read = recovered + batch.map { self.read($0.held) }
            let readable = read.filter { (try? $0.text.get()) != nil }.count
            if readable == 0 && unreadableInARow + read.count >= Self.unreadableRun {
                unreadableInARow += read.count
                // Closing the connection gives them back to gearmand, in order with the rest; the
                // intake keeps only what is still in hand.
                worker = nil
                batch = []
                try? intake.clear()
                for job in recovered { try? intake.append(job.held) }
                logger.error("gearman: \(unreadableInARow) jobs in a row cannot be read (\(Self.reason(read))); leaving them in gearmand and trying again in 30 s; put the key right and restart perfqd")
                sleep(30, unless: signals)
                continue
            }
            unreadableInARow = readable > 0 ? 0 : unreadableInARow + read.count
            guard deliverUntilDone(read, deliver, signals: signals) else { return }
            recovered = []
            do {
                try intake.clear()
            } catch {
                logger.error("gearman: \(error)")
            }
            for job in batch where !job.complete() {
                // gearmand gives it out again; that copy is skipped as not newer.
                logger.debug("gearman: could not complete job \(job.handle)")
            }
        }
    }

    private static func reason(_ read: [ReadJob]) -> String {
        if case .failure(let error) = read.last?.text { return error.message }
        return ""
    }

    /// Delivers a batch, trying again every 2 s while that fails (a full disk): the jobs stay in
    /// hand, so nothing newer overtakes them. False when asked to stop first; the intake keeps
    /// them for the next start.
    private func deliverUntilDone(_ read: [ReadJob], _ deliver: ([ReadJob]) throws -> Void, signals: SignalFlags) -> Bool {
        var reported = false
        while true {
            do {
                try deliver(read)
                if reported { logger.info("gearman: the jobs in hand are safe now") }
                return true
            } catch {
                if !reported { logger.error("gearman: cannot keep \(read.count) jobs safe: \(error); they stay in hand, trying again every 2 s") }
                reported = true
                sleep(2, unless: signals)
                if signals.isStopRequested { return false }
            }
        }
    }

    /// The jobs waiting now, until the queues are empty, the limit is reached or time is up;
    /// each noted in the intake as it comes. Returns the error that cut the batch short.
    private func take(from worker: GearmanWorker, into batch: inout [GearmanJob], intake: inout JobIntake, timeLimited: Bool,
                      signals: SignalFlags) -> (any Error)? {
        let deadline = Date().addingTimeInterval(batchSeconds)
        do {
            while batch.count < batchLimit, !signals.isStopRequested, case .job(let job) = try worker.grab() {
                try intake.append(job.held)
                batch.append(job)
                if timeLimited && Date() > deadline { break }
            }
        } catch {
            return error
        }
        return nil
    }

    private func sleep(_ seconds: Double, unless signals: SignalFlags) {
        let deadline = Date().addingTimeInterval(seconds)
        while !signals.isStopRequested && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    }
}
