import Foundation
import Perfdata
import Store

/// Turns claimed spool files into store updates: parse, store, quarantine what could not be used,
/// and only then remove the files.
///
/// Several files can go into one store batch: their samples are applied in file order, made
/// durable together, and the files removed after. That shares the cost of `fsync` when a backlog
/// has built up, without changing what is stored.
public final class SpoolProcessor: @unchecked Sendable {
    public let spool: SpoolDirectory
    public let store: Store
    let logger: Logger
    public private(set) var counters = IngestCounters()
    /// Jobs a feeder took from Mod-Gearman's queue, copied into `counters` when they are written.
    public let feederCounters = FeederCounters()
    /// Set when a failed batch could not be rolled back: the daemon must stop, and the store's
    /// recovery at the next start puts things right (or refuses to start until it can).
    public private(set) var storeNeedsRecovery = false
    private let statisticsPath: String
    private var countersWritten = Date.distantPast

    public init(spool: SpoolDirectory, store: Store, logger: Logger) {
        self.spool = spool
        self.store = store
        self.logger = logger
        counters.startedAt = Int64(Date().timeIntervalSince1970)
        statisticsPath = store.root.appendingPathComponent(".perfqd-stats.json").path
    }

    /// One parsed spool file.
    private struct Parsed {
        var name: String
        var lines: [Data.SubSequence] = []
        var samples: [StoreSample] = []
        var quarantine: [String] = []
        var records = 0
        var items = 0

        /// Line `number` (1-based) as written, for the quarantine file.
        func original(_ number: Int) -> String {
            number >= 1 && number <= lines.count ? RawText(bytes: Array(lines[number - 1])).text : ""
        }
    }

    /// Processes one file already claimed into the work directory.
    @discardableResult
    public func process(_ name: String, now: Int64 = Int64(Date().timeIntervalSince1970)) -> Bool {
        process([name], now: now)
    }

    /// Processes files already claimed into the work directory, in order, as one store batch.
    /// Returns false when the store failed: the batch was rolled back and the files stay claimed,
    /// to be tried again (a full disk, a reader holding a lock); nothing goes to `failed/` for it.
    @discardableResult
    public func process(_ names: [String], now: Int64 = Int64(Date().timeIntervalSince1970)) -> Bool {
        var files: [Parsed] = []
        for name in names {
            if let parsed = parse(name) { files.append(parsed) }
        }
        guard !files.isEmpty else { return true }
        let outcome: BatchOutcome
        do {
            outcome = try store.apply(files.flatMap(\.samples), now: now)
        } catch {
            logger.error("the store failed, nothing of \(files.map(\.name).joined(separator: ", ")) is stored; they stay in \(spool.workPath) and are tried again: \(error)")
            do {
                try store.rollBack()
            } catch {
                logger.error("the failed batch cannot be rolled back: \(error); stopping, the next start recovers the store")
                storeNeedsRecovery = true
            }
            return false
        }
        // One quarantine entry a line: its refused samples' reasons together, the line once.
        var refusedLines: [String: [Int: [String]]] = [:]
        for refusal in outcome.rejected {
            refusedLines[refusal.file, default: [:]][refusal.lineNumber, default: []].append(refusal.reason)
        }
        var refusals: [String: [String]] = [:]
        for (file, lines) in refusedLines {
            let parsed = files.first { $0.name == file }
            for (lineNumber, reasons) in lines.sorted(by: { $0.key < $1.key }) {
                let shown = reasons.prefix(10).joined(separator: "; ") + (reasons.count > 10 ? "; and \(reasons.count - 10) more" : "")
                refusals[file, default: []].append("\(file):\(lineNumber): \(shown)\n\t\(parsed?.original(lineNumber) ?? "")")
                logger.error("refused \(reasons.count) sample(s) of \(file):\(lineNumber): \(reasons[0])")
            }
        }
        for file in files {
            let quarantine = file.quarantine + (refusals[file.name] ?? [])
            if !quarantine.isEmpty {
                let text = quarantine.joined(separator: "\n") + "\n"
                do {
                    try Store.writeAtomically(Data(text.utf8), to: Self.unused(spool.quarantinePath + "/" + file.name), synchronous: store.options.synchronous)
                } catch {
                    logger.error("\(file.name): cannot write its quarantine file: \(error)")
                }
                for entry in quarantine.prefix(20) { logger.info("quarantined \(entry.split(separator: "\n").first ?? "")") }
            }
            if unlink(spool.workPath + "/" + file.name) != 0 {
                logger.error("\(file.name): cannot remove it from \(spool.workPath) after storing it: \(String(cString: strerror(errno)))")
            }
            counters.files += 1
            counters.records += file.records
            counters.items += file.items
            counters.quarantined += quarantine.count
        }
        counters.updates += outcome.updates
        counters.skipped += outcome.skipped
        counters.rejected += outcome.rejected.count
        counters.createdSeries += outcome.createdSeries
        logger.info("\(files.count == 1 ? files[0].name : "\(files.count) files up to \(files.last!.name)"): \(files.reduce(0) { $0 + $1.records }) records, \(outcome.updates) updates, \(outcome.skipped) not newer, \(outcome.rejected.count) refused")
        writeCounters()
        return true
    }

    /// `path`, or `path.1`, `path.2`… when a file of that name is already there: a spool file
    /// name can come again (two rotations in one second), and its notes must not overwrite.
    static func unused(_ path: String) -> String {
        var candidate = path
        var number = 0
        while access(candidate, F_OK) == 0 {
            number += 1
            candidate = "\(path).\(number)"
        }
        return candidate
    }

    private func parse(_ name: String) -> Parsed? {
        let path = spool.workPath + "/" + name
        guard let data = Self.read(path) else {
            fail(name, because: "cannot read the file: \(String(cString: strerror(errno)))")
            return nil
        }
        var parsed = Parsed(name: name)
        parsed.lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var quarantine: [String] = []
        func original(_ lineNumber: Int) -> String { parsed.original(lineNumber) }
        [UInt8](data).withUnsafeBufferPointer { contents in
            SpoolParser.parse(contents) { result in
                switch result {
                case .failure(let error):
                    quarantine.append("\(name):\(error.lineNumber): \(error.reason)\n\t\(original(error.lineNumber))")
                case .success(let record):
                    parsed.records += 1
                    parsed.items += record.parsed.items.count
                    // One entry a line, its reasons together, the line once.
                    let reasons = record.parsed.warnings.filter(\.effect.rejectsInput).map { "perfdata \($0)" }
                    if !reasons.isEmpty {
                        quarantine.append("\(name):\(record.lineNumber): \(reasons.joined(separator: "; "))\n\t\(original(record.lineNumber))")
                    }
                    for item in record.parsed.items {
                        let key = SeriesKey(host: record.host, service: record.kind == .service ? record.service : nil, label: item.label)
                        parsed.samples.append(StoreSample(
                            key: key, time: record.time, item: item, command: record.checkCommand,
                            origin: .init(file: name, lineNumber: record.lineNumber)))
                    }
                }
            }
        }
        parsed.quarantine = quarantine
        if parsed.records == 0 && !quarantine.isEmpty {
            fail(name, because: "no line of it is a perfdata record:\n" + quarantine.prefix(5).joined(separator: "\n"))
            return nil
        }
        return parsed
    }

    /// A spool file's bytes; a symbolic link is not followed (the daemon may run as root, and
    /// the spool is writable by the monitoring user).
    static func read(_ path: String) -> Data? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return try? FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).readToEnd() ?? Data()
    }

    /// Moves a file that could not be used at all to `failed/`, with a note of why beside it.
    private func fail(_ name: String, because reason: String) {
        counters.failedFiles += 1
        let target = Self.unused(spool.failedPath + "/" + name)
        try? Store.writeAtomically(Data((reason + "\n").utf8), to: target + ".reason", synchronous: store.options.synchronous)
        if rename(spool.workPath + "/" + name, target) != 0 {
            logger.error("\(name): cannot move it to \(spool.failedPath): \(String(cString: strerror(errno)))")
        }
        logger.error("\(name): moved to \(spool.failedPath): \(reason.split(separator: "\n").first ?? "")")
        writeCounters(force: true)
    }

    /// Writes the counters file, at most once a second unless `force`.
    func writeCounters(force: Bool = false) {
        let now = Date()
        guard force || now.timeIntervalSince(countersWritten) >= 1 else { return }
        countersWritten = now
        counters.updatedAt = Int64(now.timeIntervalSince1970)
        counters.jobs = feederCounters.jobs.load(ordering: .relaxed)
        counters.undecodableJobs = feederCounters.undecodableJobs.load(ordering: .relaxed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? encoder.encode(counters) {
            try? Store.writeAtomically(data, to: statisticsPath, synchronous: false)
        }
    }

    /// Writes the counters now (the daemon does when it stops).
    public func flushCounters() {
        writeCounters(force: true)
    }
}
