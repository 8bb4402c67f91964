import Foundation
import Ingest

/// A job taken from gearmand, and what it says.
struct ReadJob {
    var held: HeldJob
    var text: Result<[UInt8], JobPayloadError>

    var isReadable: Bool { (try? text.get()) != nil }

    var failureReason: String {
        if case .failure(let error) = text { return error.message }
        return ""
    }
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
    /// The first batch after a start: a job that went back to the end of the queue when its
    /// taker was killed is stored in order only if this batch reaches it. Larger than the others
    /// so that a deep backlog is covered; bounded, since the batch is held in memory.
    static let firstBatchLimit = 50_000

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
        var recovered = intake.recover().map(read).filter(\.isReadable)
        if !recovered.isEmpty {
            logger.info("gearman: \(recovered.count) jobs that a stopped perfqd had taken go first")
        }
        var worker: GearmanWorker?
        // Unreadable jobs with no readable one after them: the start of a run (a wrong key) or
        // damaged jobs, which only the next jobs tell apart. Until then they stay in hand, not
        // completed, so a run goes back to gearmand whole, however slowly its jobs come.
        var unsure: [(read: ReadJob, job: GearmanJob)] = []
        var failing = false
        // A job on its way to a process killed before it noted it went back to the end of the
        // queue: the first batch takes everything waiting, up to the limit, however long that
        // takes, so that it comes into one sorted batch with the newer checks queued before it.
        var isFirstBatch = true
        var givenBack = false
        while !signals.isStopRequested {
            if givenBack {
                // Here, not where they were given back: this batch's last references to them
                // (and so their connections) are gone only now.
                sleep(30, unless: signals)
                givenBack = false
                continue
            }
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
                if !failing { logger.error("gearman: no answer from \(servers) (\(failure)); trying again every 2 s") }
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
            // Recovered jobs are all readable, so every unsure job is one gearmand gave this process.
            let taken: [(read: ReadJob, job: GearmanJob?)] = recovered.map { ($0, nil) } + batch.map { (self.read($0.held), $0) }
            let cut = taken.lastIndex { $0.read.isReadable }.map { $0 + 1 } ?? 0
            var settled: [(read: ReadJob, job: GearmanJob?)] = []
            if cut > 0 {
                settled = unsure.map { ($0.read, $0.job) } + taken[..<cut]
                unsure = []
            }
            unsure += taken[cut...].map { ($0.read, $0.job!) }
            batch = []
            if !settled.isEmpty {
                guard deliverUntilDone(settled.map(\.read), deliver, signals: signals) else { return }
                recovered = []
            }
            do {
                // Unsure jobs need no note: gearmand gives them back if this process dies.
                try intake.clear()
            } catch {
                logger.error("gearman: \(error)")
            }
            for case let job? in settled.map(\.job) where !job.complete() {
                // gearmand gives it out again; that copy is skipped as not newer.
                logger.debug("gearman: could not complete job \(job.handle)")
            }
            if unsure.count >= Self.unreadableRun {
                // Closing the connections that hold them gives them back to gearmand.
                logger.error("gearman: \(unsure.count) jobs in a row cannot be read (\(unsure[unsure.count - 1].read.failureReason)); leaving them in gearmand and trying again in 30 s; put the key right and restart perfqd")
                unsure = []
                worker = nil
                givenBack = true
            }
        }
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
        let limit = timeLimited ? batchLimit : max(batchLimit, Self.firstBatchLimit)
        do {
            while batch.count < limit, !signals.isStopRequested, case .job(let job) = try worker.grab() {
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
