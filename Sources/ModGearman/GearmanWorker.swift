import CGearman
import Foundation

/// A connection that takes jobs from gearmand queues, one `grab` at a time; jobs are held until
/// completed, so several can be in hand at once. A job not completed when the connection closes
/// (the process died) is queued again by gearmand, at the end of its queue.
///
/// Once a grab that follows a job has found the queues empty, the worker is used up: libgearman
/// 1.1.20 crashes when `gearman_worker_grab_job` is called again after that (outside
/// `gearman_worker_work` it returns GEARMAN_NO_JOBS in the middle of its state machine, and
/// resumes with no connection). So complete the jobs in hand, then take a new worker. A worker
/// that has found the queues empty before giving any job is still at the start, and asks again
/// on the connection it has: an idle perfqd stays connected, and `gearadmin` shows it.
final class GearmanWorker {
    private let worker: UnsafeMutablePointer<gearman_worker_st>
    private(set) var isUsedUp = false
    private var hasGivenAJob = false

    init(servers: String, queues: [String]) throws(GearmanError) {
        guard let worker = gearman_worker_create(nil) else { throw GearmanError("cannot create a gearman worker") }
        self.worker = worker
        guard gearman_worker_add_servers(worker, servers) == GEARMAN_SUCCESS else {
            throw GearmanError("cannot use the gearman servers '\(servers)': \(String(cString: gearman_worker_error(worker)))")
        }
        // Bounds each call, so that a stop is noticed while gearmand is away.
        gearman_worker_set_timeout(worker, 1000)
        for queue in queues {
            guard gearman_worker_register(worker, queue, 0) == GEARMAN_SUCCESS else {
                throw GearmanError("cannot take jobs from the queue '\(queue)': \(String(cString: gearman_worker_error(worker)))")
            }
        }
    }

    deinit {
        gearman_worker_free(worker)
    }

    enum Grab {
        case job(GearmanJob)
        /// Every queue is empty.
        case none
    }

    func grab() throws(GearmanError) -> Grab {
        precondition(!isUsedUp, "a gearman worker is used again after its queues were empty")
        var status = GEARMAN_SUCCESS
        if let job = gearman_worker_grab_job(worker, nil, &status) {
            hasGivenAJob = true
            return .job(GearmanJob(job, worker: self))
        }
        isUsedUp = hasGivenAJob || status != GEARMAN_NO_JOBS
        guard status == GEARMAN_NO_JOBS else {
            throw GearmanError(String(cString: gearman_worker_error(worker)))
        }
        return .none
    }
}

/// One job taken from a queue: its payload, and the acknowledgement that lets gearmand forget it.
final class GearmanJob {
    private let job: UnsafeMutablePointer<gearman_job_st>
    /// The job answers over its worker's connection, which must outlive it.
    private let worker: GearmanWorker
    let payload: [UInt8]
    let queue: String
    /// The job's unique key: Mod-Gearman's `perfdata_mode=1` sets one per host and service.
    let unique: String
    let handle: String

    init(_ job: UnsafeMutablePointer<gearman_job_st>, worker: GearmanWorker) {
        self.job = job
        self.worker = worker
        let size = gearman_job_workload_size(job)
        if size > 0, let bytes = gearman_job_workload(job) {
            payload = Array(UnsafeRawBufferPointer(start: bytes, count: size))
        } else {
            payload = []
        }
        queue = gearman_job_function_name(job).map { String(cString: $0) } ?? ""
        unique = gearman_job_unique(job).map { String(cString: $0) } ?? ""
        handle = gearman_job_handle(job).map { String(cString: $0) } ?? ""
    }

    deinit {
        gearman_job_free(job)
    }

    var held: HeldJob { HeldJob(queue: queue, unique: unique, payload: payload) }

    /// Tells gearmand the job is done; only once what it carried is safe.
    func complete() -> Bool {
        gearman_job_send_complete(job, nil, 0) == GEARMAN_SUCCESS
    }
}

public struct GearmanError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    init(_ message: String) {
        self.message = message
    }
}
