import Foundation
import Store

/// A job as gearmand gave it: what a worker keeps of it once taken.
struct HeldJob: Equatable {
    var queue: String
    var unique: String
    var payload: [UInt8]
}

/// The jobs a worker has in hand, appended to a file one `write` each as they are taken.
///
/// gearmand gives a job that a dead worker held to the next worker at the *end* of its queue,
/// behind newer checks of the same services, which would then be skipped as not newer. A process
/// killed with `kill -9` leaves what it wrote in the kernel's hands, so the restarted worker
/// finds its predecessor's jobs here and deals with them before anything newer; gearmand's late
/// copies are then duplicates, skipped. Only a crash of the machine itself, before the batch is
/// made durable, can lose the file.
struct JobIntake {
    let path: String
    private var descriptor: Int32 = -1

    init(path: String) {
        self.path = path
    }

    /// The complete records of a file left by an earlier process; a record cut short by the
    /// kill is left out (gearmand still has that job).
    func recover() -> [HeldJob] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var jobs: [HeldJob] = []
        var bytes = [UInt8](data)[...]
        // A record: "<queue length> <unique length> <payload length>\n" and the three, then "\n".
        while let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
            let lengths = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
            guard lengths.count == 3, lengths.allSatisfy({ $0 >= 0 }) else { break }
            let start = bytes.index(after: newline)
            let total = lengths.reduce(0, +)
            guard bytes.endIndex - start >= total + 1, bytes[start + total] == UInt8(ascii: "\n") else { break }
            let queue = bytes[start..<(start + lengths[0])]
            let unique = bytes[(start + lengths[0])..<(start + lengths[0] + lengths[1])]
            let payload = bytes[(start + lengths[0] + lengths[1])..<(start + total)]
            jobs.append(HeldJob(queue: String(decoding: queue, as: UTF8.self), unique: String(decoding: unique, as: UTF8.self), payload: Array(payload)))
            bytes = bytes[(start + total + 1)...]
        }
        return jobs
    }

    mutating func append(_ job: HeldJob) throws {
        if descriptor < 0 {
            // Appended to: what an earlier process left stays until the batch it went into is safe.
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw StoreError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        }
        let record = Array("\(job.queue.utf8.count) \(job.unique.utf8.count) \(job.payload.count)\n".utf8)
            + Array(job.queue.utf8) + Array(job.unique.utf8) + job.payload + [UInt8(ascii: "\n")]
        // One write: a kill leaves the record whole or, rarely, cut short; never interleaved.
        let written = record.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == record.count else { throw StoreError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Forgets the jobs in hand: they are safe elsewhere now, or given back to gearmand.
    mutating func clear() throws {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw StoreError(message: "cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }
}
