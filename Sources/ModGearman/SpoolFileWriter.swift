import Foundation
import Ingest
import Store

/// Writes spool files the way Nagios's processing command does (whole, then renamed in), named
/// `perfdata.<number>` with numbers that only grow, so the spool takes them in the order written.
struct SpoolFileWriter {
    let spool: SpoolDirectory
    private var lastNumber: Int64 = 0

    init(spool: SpoolDirectory) {
        self.spool = spool
    }

    /// Microseconds since the epoch: later than any file this process or an earlier run wrote.
    private mutating func nextNumber() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        lastNumber = max(lastNumber + 1, Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)
        return lastNumber
    }

    mutating func write(_ bytes: [UInt8]) throws {
        // Written as `<name>.tmp` first, a name the spool does not take.
        try Store.writeAtomically(Data(bytes), to: spool.path + "/perfdata.\(nextNumber())", synchronous: true)
    }

    /// Keeps a job that could not be read in `failed/`, as it came, with the reason beside it:
    /// after the key is put right it can be submitted again.
    mutating func keepUnreadable(_ payload: [UInt8], reason: String) throws -> String {
        let name = "gearman-job.\(nextNumber())"
        try Store.writeAtomically(Data(payload), to: spool.failedPath + "/" + name, synchronous: true)
        try Store.writeAtomically(Data((reason + "\n").utf8), to: spool.failedPath + "/" + name + ".reason", synchronous: true)
        return name
    }

    /// The renames on disk: before a job is completed, its spool file must survive a power cut.
    func synchronize() throws {
        for directory in [spool.path, spool.failedPath] {
            let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { throw StoreError(message: "cannot open \(directory): \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw StoreError(message: "cannot write \(directory) to disk: \(String(cString: strerror(errno)))") }
        }
    }
}
