import CGearman
import Foundation

/// Submits background jobs, as Mod-Gearman's event broker module does.
public final class GearmanClient {
    private let client: UnsafeMutablePointer<gearman_client_st>

    public init(servers: String) throws(GearmanError) {
        guard let client = gearman_client_create(nil) else { throw GearmanError("cannot create a gearman client") }
        self.client = client
        guard gearman_client_add_servers(client, servers) == GEARMAN_SUCCESS else {
            throw GearmanError("cannot use the gearman servers '\(servers)': \(String(cString: gearman_client_error(client)))")
        }
        gearman_client_set_timeout(client, 10_000)
    }

    deinit {
        gearman_client_free(client)
    }

    public struct Job {
        public var queue: String
        public var payload: [UInt8]
        /// Empty for none: gearmand then keeps every submission (Mod-Gearman's `perfdata_mode=2`).
        public var unique: String

        public init(queue: String, payload: [UInt8], unique: String = "") {
            self.queue = queue
            self.payload = payload
            self.unique = unique
        }
    }

    /// Queues the jobs in order, sent together; returns once gearmand has taken every one.
    public func submitInBackground(_ jobs: [Job]) throws(GearmanError) {
        var tasks: [UnsafeMutablePointer<gearman_task_st>] = []
        defer { gearman_client_task_free_all(client) }
        // libgearman puts each new task at the head of its list and sends from the head: added
        // last to first, the jobs go out, and are queued, in order.
        for job in jobs.reversed() {
            var status = GEARMAN_SUCCESS
            let task = job.payload.withUnsafeBytes { payload in
                gearman_client_add_task_background(client, nil, nil, job.queue, job.unique.isEmpty ? nil : job.unique,
                                                   payload.baseAddress, payload.count, &status)
            }
            guard let task, status == GEARMAN_SUCCESS else {
                throw GearmanError("cannot queue a job for '\(job.queue)': \(String(cString: gearman_client_error(client)))")
            }
            tasks.append(task)
        }
        let status = gearman_client_run_tasks(client)
        guard status == GEARMAN_SUCCESS else {
            throw GearmanError("gearmand did not take the jobs: \(String(cString: gearman_client_error(client)))")
        }
        for task in tasks where gearman_task_return(task) != GEARMAN_SUCCESS {
            throw GearmanError("gearmand refused a job: \(String(cString: gearman_strerror(gearman_task_return(task))))")
        }
    }
}
