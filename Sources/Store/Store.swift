import Dispatch
import Foundation
import Perfdata
import RoundRobin
import Synchronization

/// One perfdata item of a check result, on its way into the store.
public struct StoreSample: Sendable {
    public var key: SeriesKey
    public var time: Int64
    public var item: PerfdataItem
    public var command: RawText?
    /// Where the sample came from, to name it when it is refused.
    public var origin: Origin

    public struct Origin: Sendable, Equatable {
        public var file: String
        public var lineNumber: Int

        public init(file: String, lineNumber: Int) {
            self.file = file
            self.lineNumber = lineNumber
        }
    }

    public init(key: SeriesKey, time: Int64, item: PerfdataItem, command: RawText?, origin: Origin = Origin(file: "", lineNumber: 0)) {
        self.key = key
        self.time = time
        self.item = item
        self.command = command
        self.origin = origin
    }
}

/// A sample the store refused, and why.
public struct Refusal: Sendable, Equatable {
    public var file: String
    public var lineNumber: Int
    public var reason: String
}

/// What a batch did.
public struct BatchOutcome: Sendable, Equatable {
    public var updates = 0
    /// Samples not newer than their series' last update: replays and duplicates, skipped quietly.
    public var skipped = 0
    /// Samples refused, with the reason (a time far in the future, a value the engine refused).
    public var rejected: [Refusal] = []
    public var createdSeries = 0

    public init() {}

    mutating func add(_ other: BatchOutcome) {
        updates += other.updates
        skipped += other.skipped
        rejected += other.rejected
        createdSeries += other.createdSeries
    }
}

/// The store: one round-robin file per metric, `<root>/<host>/<service>/<label>.rrd`, with the
/// series' metadata (`.json`) and its raw samples (`.samples`) beside it.
///
/// A batch (one spool file's samples) is applied all or nothing as far as a crash can tell:
/// before any file changes, the header of every round-robin file the batch touches and the length
/// of every sample journal are saved in `<root>/.batch`; the batch is committed by removing that
/// file. After a crash, `init` puts the saved headers and lengths back, so applying the same
/// spool file again gives byte for byte what an uninterrupted run gives: the rows an update writes
/// depend only on the header, and a sample is journaled only when its update is applied.
public final class Store: @unchecked Sendable {
    public struct Options: Sendable {
        public var policy = SchemaPolicy()
        /// A sample this many seconds ahead of the clock is refused: stored, it would block every
        /// later update until the clock caught up.
        public var futureTolerance: Int64 = 3600
        /// How long raw samples are kept; nil for the span of the finest archive.
        public var sampleWindow: Int64?
        /// Whether a batch is on disk (fsync) before `apply` returns, so that the spool file can go.
        public var synchronous = true
        /// Series are updated by this many workers, each series by one, in time order.
        public var workers = 2
        /// Open files kept between batches.
        public var openFileLimit = 2048

        public init() {}
    }

    public let root: URL
    public var options: Options
    private var open: [SeriesKey: Series] = [:]
    private let batchPath: String

    final class Series: @unchecked Sendable {
        let key: SeriesKey
        let file: RoundRobinFile
        var metadata: SeriesMetadata
        var metadataWritten: SeriesMetadata?
        let basePath: String
        var samplesSize: Int
        var pendingSamples = ""
        /// Time of the oldest sample in the journal, nil when empty.
        var oldestSample: Int64?
        /// Samples not later than this are no longer journaled (see `pruneSamples`).
        var journalCutoff = Int64.min

        init(key: SeriesKey, file: RoundRobinFile, metadata: SeriesMetadata, written: SeriesMetadata?, basePath: String, samplesSize: Int) {
            self.key = key
            self.file = file
            self.metadata = metadata
            self.metadataWritten = written
            self.basePath = basePath
            self.samplesSize = samplesSize
        }

        var samplesPath: String { basePath + ".samples" }
        var metadataPath: String { basePath + ".json" }
    }

    /// Opens (creating it if needed) the store at `root`, and rolls back a batch that a crash
    /// interrupted.
    public init(root: URL, options: Options = Options()) throws {
        self.root = root
        self.options = options
        batchPath = root.appendingPathComponent(".batch").path
        try createDirectories(root.path)
        // One writer a store: a second would roll back the first one's batch as interrupted.
        let lockPath = root.appendingPathComponent(".lock").path
        lockDescriptor = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockDescriptor >= 0 else {
            throw StoreError(message: "cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(lockDescriptor)
            throw StoreError(message: "another process is writing the store \(root.path) (it holds \(lockPath))")
        }
        self.options.openFileLimit = min(options.openFileLimit, Self.raiseOpenFileLimit() / 2)
        try recover()
    }

    deinit {
        close(lockDescriptor)
    }

    private let lockDescriptor: Int32

    /// Raises the soft limit on open files to the hard one and returns it: held-open series
    /// need one descriptor each.
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    /// The number of files held open.
    public var openSeriesCount: Int { open.count }

    /// Closes every held file.
    public func closeFiles() {
        open.removeAll()
    }

    // MARK: Applying a batch

    /// Applies one batch of samples, in order. Returns once they are stored and, when
    /// `synchronous`, on disk.
    public func apply(_ samples: [StoreSample], now: Int64) throws -> BatchOutcome {
        var outcome = BatchOutcome()
        var order: [SeriesKey] = []
        var bySeries: [SeriesKey: [StoreSample]] = [:]
        for sample in samples {
            // Before 1980, as rrdtool's create says, is no time a check ran: a plugin or a clock
            // gone wrong (`TIMET::0`).
            if sample.time < 315_360_000 {
                outcome.rejected.append(Refusal(
                    file: sample.origin.file, lineNumber: sample.origin.lineNumber,
                    reason: "\(sample.key.relativePath): time \(sample.time) is before 1980; refused"))
                continue
            }
            if sample.time > now + options.futureTolerance {
                outcome.rejected.append(Refusal(
                    file: sample.origin.file, lineNumber: sample.origin.lineNumber,
                    reason: "\(sample.key.relativePath): time \(sample.time) is \(sample.time - now) s ahead of the clock; refused, since it would block every later update"))
                continue
            }
            if bySeries[sample.key] == nil { order.append(sample.key) }
            bySeries[sample.key, default: []].append(sample)
        }
        guard !order.isEmpty else { return outcome }
        // A batch of more series than files may be open is applied in parts, each part all or
        // nothing. Parts split by series, so a crash between them loses nothing: the committed
        // part's samples are skipped as not newer when the spool files are applied again. Small
        // parts also keep each file locked only briefly.
        let part = max(1, min(500, options.openFileLimit - 64))
        var start = 0
        while start < order.count {
            let keys = Array(order[start..<min(start + part, order.count)])
            start += keys.count
            if open.count + keys.count > options.openFileLimit { open.removeAll() }
            outcome.add(try applyPart(keys, bySeries))
        }
        return outcome
    }

    private func applyPart(_ order: [SeriesKey], _ bySeries: [SeriesKey: [StoreSample]]) throws -> BatchOutcome {
        var outcome = BatchOutcome()
        var series: [Series] = []
        for key in order {
            let (opened, created) = try openSeries(key, first: bySeries[key]![0])
            if created { outcome.createdSeries += 1 }
            series.append(opened)
        }
        // Files are locked only while a batch changes them; rrdtool and readers use them between.
        // All of them or none: waiting for one while holding the others would shut readers out.
        try Self.lockAll(series.map(\.file), timeout: 10)
        defer { for opened in series { opened.file.unlock() } }
        for opened in series {
            let newest = max(opened.file.lastUpdate, bySeries[opened.key]!.map(\.time).max()!)
            opened.journalCutoff = try pruneSamples(opened, newest: newest)
        }
        try writeBatchRecord(series)
        if options.synchronous { try Self.synchronizeDirectory(root.path) }

        // Each series is one worker's, its samples applied in order.
        let work = series.map { ($0, bySeries[$0.key]!) }
        let workers = max(1, min(options.workers, series.count))
        var partial = [BatchOutcome](repeating: BatchOutcome(), count: workers)
        partial.withUnsafeMutableBufferPointer { results in
            let results = UncheckedBox(results)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var mine = BatchOutcome()
                for index in stride(from: worker, to: work.count, by: workers) {
                    Self.apply(work[index].1, to: work[index].0, outcome: &mine)
                }
                results.value[worker] = mine
            }
        }
        for part in partial { outcome.add(part) }

        // Each series' journal, metadata and file to disk. Most of this is waiting for the disk,
        // and many writes waiting together cost the disk little more than one: so on more
        // threads than there are cores.
        try Self.concurrently(series.count, threads: options.synchronous ? 16 : workers) { index in
            let opened = series[index]
            try self.writeSamples(opened)
            opened.metadata.lastSample = opened.file.lastUpdate
            try self.writeMetadata(opened)
            if self.options.synchronous {
                do throws(RRDError) {
                    try opened.file.synchronize()
                } catch {
                    throw StoreError(message: error.message)
                }
            }
        }
        // The commit point: from here on the batch is never rolled back.
        if unlink(batchPath) != 0 && errno != ENOENT {
            throw StoreError(message: "cannot remove \(batchPath): \(String(cString: strerror(errno)))")
        }
        if options.synchronous { try Self.synchronizeDirectory(root.path) }
        return outcome
    }

    /// Locks every file, waiting up to `timeout` seconds for readers; never holds some while
    /// waiting for another.
    static func lockAll(_ files: [RoundRobinFile], timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var held: [RoundRobinFile] = []
            var busy: String?
            for file in files {
                do {
                    try file.lock(timeout: 0)
                    held.append(file)
                } catch {
                    busy = file.path
                    break
                }
            }
            guard let busy else { return }
            held.forEach { $0.unlock() }
            guard Date() < deadline else {
                throw StoreError(message: "could not lock RRD '\(busy)': a reader held it for more than \(Int(timeout)) s")
            }
            usleep(20_000)
        }
    }

    private static func apply(_ samples: [StoreSample], to series: Series, outcome: inout BatchOutcome) {
        let type = series.file.schema.dataSources[0].type
        for sample in samples {
            series.metadata = series.metadata.updated(with: sample.item, command: sample.command, time: sample.time)
            guard series.file.isAfterLastUpdate(sample.time) else {
                outcome.skipped += 1
                continue
            }
            let value = Self.reading(sample.item, for: type)
            do {
                try series.file.update(time: sample.time, values: [value])
                outcome.updates += 1
                if sample.time > series.journalCutoff {
                    series.pendingSamples += "\(sample.time) \(value)\n"
                    if series.oldestSample == nil { series.oldestSample = sample.time }
                }
            } catch {
                outcome.rejected.append(Refusal(file: sample.origin.file, lineNumber: sample.origin.lineNumber, reason: "\(series.key.relativePath): \(error.message)"))
            }
        }
    }

    /// The reading as rrdtool takes it. Counters need whole numbers, and plugins send `0.02c`
    /// (librrd refuses it, and PNP4Nagios loses the sample): it is rounded.
    static func reading(_ item: PerfdataItem, for type: DataSourceType) -> String {
        guard let value = item.value else { return "U" }
        switch type {
        case .counter, .derive:
            let text = item.valueText
            let digits = text.hasPrefix("-") && type == .derive ? text.dropFirst() : text[...]
            if !digits.isEmpty && digits.allSatisfy(\.isNumber) { return text }
            let rounded = value.rounded()
            if type == .counter && rounded < 0 { return "U" }
            if let whole = Int64(exactly: rounded) { return String(whole) }
            return String(format: "%.0f", rounded)
        default:
            return item.valueText
        }
    }

    // MARK: Series files

    private func openSeries(_ key: SeriesKey, first: StoreSample) throws -> (Series, Bool) {
        if let series = open[key] {
            // A file replaced under us (a restore, `cp backup.rrd`) is opened again.
            if !series.file.isReplaced { return (series, false) }
            open[key] = nil
        }
        let relative = key.relativePath
        let basePath = root.appendingPathComponent(relative).path
        let directory = (basePath as NSString).deletingLastPathComponent
        try createDirectories(directory)
        let rrdPath = basePath + ".rrd"
        var created = false
        if access(rrdPath, F_OK) != 0 {
            let schema = options.policy.schema(
                command: first.command.map { String(decoding: $0.bytes.prefix { $0 != UInt8(ascii: "!") }, as: UTF8.self) },
                label: first.key.label.text, unit: first.item.unit.text)
            // The file starts one step before the first sample, which then covers that step as
            // every later sample covers the time since the one before (PNP4Nagios drops it).
            // Row pointers start at 0, so that the same samples always give the same bytes; the
            // temporary name is fixed, so that a create interrupted by a crash leaves nothing
            // behind once the batch is applied again.
            let bytes = RoundRobinFile.newFileBytes(schema: schema, start: first.time - Int64(schema.step), currentRows: schema.archives.map { _ in 0 })
            try Self.writeAtomically(Data(bytes), to: rrdPath, synchronous: options.synchronous)
            if options.synchronous { try Self.synchronizeDirectory(directory) }
            created = true
        }
        let file: RoundRobinFile
        do {
            file = try RoundRobinFile(path: rrdPath, writable: true, lockedWhileOpen: false)
        } catch {
            throw StoreError(message: error.message)
        }
        var written: SeriesMetadata?
        if let data = FileManager.default.contents(atPath: basePath + ".json") {
            written = try? JSONDecoder().decode(SeriesMetadata.self, from: data)
        }
        let metadata = written ?? SeriesMetadata(key: key, item: first.item, command: first.command, schema: file.schema, time: first.time)
        var info = stat()
        let samplesSize = stat(basePath + ".samples", &info) == 0 ? Int(info.st_size) : 0
        let series = Series(key: key, file: file, metadata: metadata, written: written, basePath: basePath, samplesSize: samplesSize)
        series.oldestSample = Self.firstSampleTime(basePath + ".samples")
        if created { try writeMetadata(series) }
        open[key] = series
        return (series, created)
    }

    private func writeMetadata(_ series: Series) throws {
        guard series.metadata != series.metadataWritten else { return }
        let data = try SeriesMetadata.encoder.encode(series.metadata)
        // Only the last sample time moved: the round-robin file has it on disk already, so this
        // write need not wait for the disk.
        var unchanged = series.metadata
        unchanged.lastSample = series.metadataWritten?.lastSample
        let onlyTime = unchanged == series.metadataWritten
        try Self.writeAtomically(data, to: series.metadataPath, synchronous: options.synchronous && !onlyTime)
        series.metadataWritten = series.metadata
    }

    private func writeSamples(_ series: Series) throws {
        guard !series.pendingSamples.isEmpty else { return }
        // Opened for each batch: a daemon holding thousands of series must not hold their
        // journals open too.
        let descriptor = Glibc.open(series.samplesPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError(message: "cannot open \(series.samplesPath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(series.pendingSamples.utf8)
        try Self.write(bytes, to: descriptor, at: series.samplesSize, path: series.samplesPath)
        if options.synchronous { try Self.synchronize(descriptor, path: series.samplesPath) }
        series.samplesSize += bytes.count
        series.pendingSamples = ""
    }

    /// The journal keeps the samples newer than a cutoff that moves a whole window at a time:
    /// after every batch it holds exactly the samples later than `cutoff(newest)`, whatever
    /// batches the samples came in, so a replay after a crash gives the same file. The file is
    /// rewritten (atomically, before the batch record is taken) about once a window.
    private func pruneSamples(_ series: Series, newest: Int64) throws -> Int64 {
        let window = max(1, options.sampleWindow ?? Int64(series.file.schema.step * series.file.schema.archives.map(\.rows).min()!))
        let cutoff = (newest / window - 1) * window
        guard let oldest = series.oldestSample, oldest <= cutoff,
              let data = FileManager.default.contents(atPath: series.samplesPath) else { return cutoff }
        var output = Data()
        var kept: Int64?
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let time = Self.sampleTime(line), time > cutoff else { continue }
            kept = kept ?? time
            output.append(contentsOf: line)
            output.append(UInt8(ascii: "\n"))
        }
        try Self.writeAtomically(output, to: series.samplesPath, synchronous: options.synchronous)
        series.samplesSize = output.count
        series.oldestSample = kept
        return cutoff
    }

    static func firstSampleTime(_ path: String) -> Int64? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        return count > 0 ? sampleTime(buffer.prefix(count)) : nil
    }

    static func sampleTime(_ line: some Collection<UInt8>) -> Int64? {
        Int64(String(decoding: line.prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self))
    }

    // MARK: The batch record

    /// `.batch`: for every series of the batch, its file's header and its sample journal's
    /// length, written whole (temporary file, then rename) before anything changes.
    private func writeBatchRecord(_ series: [Series]) throws {
        var record = Data()
        for opened in series {
            let path = Array(opened.basePath.utf8)
            let header = opened.file.headerBytes
            record.append(contentsOf: Self.littleEndian(UInt64(path.count)))
            record.append(contentsOf: path)
            record.append(contentsOf: Self.littleEndian(UInt64(opened.samplesSize)))
            record.append(contentsOf: Self.littleEndian(UInt64(header.count)))
            record.append(contentsOf: header)
        }
        try Self.writeAtomically(record, to: batchPath, synchronous: options.synchronous)
    }

    /// Undoes a batch that failed half-way (a full disk): closes every file and puts back what
    /// the batch record saved.
    public func rollBack() throws {
        open.removeAll()
        try recover()
    }

    private func recover() throws {
        unlink(batchPath + ".tmp")
        guard let record = FileManager.default.contents(atPath: batchPath) else { return }
        let bytes = [UInt8](record)
        var offset = 0
        func number() -> Int? {
            guard offset + 8 <= bytes.count else { return nil }
            let value = bytes[offset..<(offset + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
            offset += 8
            return value
        }
        while offset < bytes.count {
            guard let pathLength = number(), offset + pathLength <= bytes.count else { break }
            let basePath = String(decoding: bytes[offset..<(offset + pathLength)], as: UTF8.self)
            offset += pathLength
            guard let samplesSize = number(), let headerLength = number(), offset + headerLength <= bytes.count else { break }
            let header = Array(bytes[offset..<(offset + headerLength)])
            offset += headerLength
            try restore(header: header, to: basePath + ".rrd")
            if truncate(basePath + ".samples", off_t(samplesSize)) != 0 && errno != ENOENT {
                throw StoreError(message: "cannot roll back \(basePath).samples: \(String(cString: strerror(errno)))")
            }
        }
        unlink(batchPath)
        try Self.synchronizeDirectory(root.path)
    }

    private func restore(header: [UInt8], to path: String) throws {
        let descriptor = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StoreError(message: "cannot roll back \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try Self.write(header, to: descriptor, at: 0, path: path)
        fdatasync(descriptor)
    }

    // MARK: Files

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func write(_ bytes: [UInt8], to descriptor: Int32, at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            guard count > 0 else { throw StoreError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
            done += count
        }
    }

    /// Writes a whole file beside its final name and renames it there: readers see the old
    /// file or the new one, never half of one.
    public static func writeAtomically(_ data: Data, to path: String, synchronous: Bool) throws {
        let temporary = path + ".tmp"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError(message: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        do {
            try write([UInt8](data), to: descriptor, at: 0, path: temporary)
            if synchronous { try synchronize(descriptor, path: temporary) }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            throw StoreError(message: "cannot rename \(temporary): \(String(cString: strerror(errno)))")
        }
    }

    static func synchronize(_ descriptor: Int32, path: String) throws {
        guard fdatasync(descriptor) == 0 else {
            throw StoreError(message: "cannot write \(path) to disk: \(String(cString: strerror(errno)))")
        }
    }

    static func synchronizeDirectory(_ path: String) throws {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// A store failure a user can act on: which file, and why.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}

extension Store {
    /// Runs `body` for 0..<count on up to `threads` threads of its own (Dispatch's pool would run
    /// no more than there are cores, and these mostly wait), and throws the first error.
    static func concurrently(_ count: Int, threads: Int, _ body: @escaping (Int) throws -> Void) throws {
        let threads = max(1, min(threads, count))
        if threads == 1 {
            for index in 0..<count { try body(index) }
            return
        }
        let body = UncheckedBox(body)
        let next = Mutex(0)
        let failure = Mutex<(any Error)?>(nil)
        let group = DispatchGroup()
        for _ in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while failure.withLock({ $0 == nil }) {
                    let index = next.withLock { value in
                        defer { value += 1 }
                        return value
                    }
                    guard index < count else { return }
                    do {
                        try body.value(index)
                    } catch {
                        failure.withLock { $0 = $0 ?? error }
                    }
                }
            }
        }
        group.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}

/// Lets the workers of one batch write their own slot of a shared buffer.
struct UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
