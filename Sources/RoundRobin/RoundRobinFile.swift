#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open round-robin file in rrdtool 1.7's format, mapped into memory.
///
/// The file stays open and mapped while the object lives, so an update is a few stores into
/// memory: no system call, no re-reading of the header. A daemon that keeps its files open pays
/// the mapping once, where librrd opens, maps, locks and unmaps the file for every update.
/// Opening takes librrd's whole-file `fcntl` lock (a write lock when writable), so rrdtool and
/// perfq never write one file at once; releasing the object unmaps the file and drops the lock.
public final class RoundRobinFile {
    public let path: String
    public let schema: Schema
    /// 3, 4 or 5: `0005` when a DCOUNTER or DDERIVE data source needs it.
    public let version: Int
    public let isWritable: Bool
    let layout: FileLayout
    /// The whole file, mapped shared: what is stored here is in the file.
    let mapping: UnsafeMutableRawPointer
    private let mappedSize: Int
    private let descriptor: Int32

    // Per-update scratch and the definitions the update reads, in plain memory: an update runs
    // a million times a second and should not pay for array copy-on-write checks or for
    // retaining data source names.
    let pdpInputs: UnsafeMutableBufferPointer<Double>
    let pdpRates: UnsafeMutableBufferPointer<Double>
    let sources: UnsafeMutableBufferPointer<SourceParameters>
    let archives: UnsafeMutableBufferPointer<Archive>

    /// Told about every amount, step and row an update computes (see `UpdateTracer`).
    public weak var tracer: UpdateTracer?
    /// The update being applied, for the tracer.
    var tracedTime: Int64 = 0
    var tracedValues: [String] = []

    struct SourceParameters {
        var type: DataSourceType
        var heartbeat: UInt64
        var minimum: Double
        var maximum: Double
    }

    /// Opens an existing file; `writable` for updates. With `lockedWhileOpen` (what rrdtool does
    /// for one command) the file is locked until released; a daemon that keeps files open passes
    /// false and locks each file around each batch (`lock(timeout:)`), so that rrdtool and other
    /// readers can use the files in between.
    public init(path: String, writable: Bool = false, lockedWhileOpen: Bool = true) throws(RRDError) {
        self.path = path
        self.isWritable = writable
        let descriptor = open(path, writable ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RRDError("opening '\(path)': \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw RRDError("stat '\(path)': \(reason)")
        }
        let size = Int(info.st_size)
        guard size >= FileLayout.statHeadSize else {
            close(descriptor)
            throw RRDError("reached EOF while loading header rrd->stat_head")
        }
        guard !lockedWhileOpen || Self.lock(descriptor, type: writable ? F_WRLCK : F_RDLCK) else {
            close(descriptor)
            throw RRDError("could not lock RRD")
        }
        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        guard let mapping = mmap(nil, size, protection, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw RRDError("mmap '\(path)': \(reason)")
        }
        let layout: FileLayout
        switch Result(catching: { () throws(RRDError) in try Self.readHeader(UnsafeRawPointer(mapping), size: size, path: path) }) {
        case .success(let header):
            (schema, version, layout) = header
            self.layout = layout
        case .failure(let error):
            munmap(mapping, size)
            close(descriptor)
            throw error
        }
        self.mapping = mapping
        self.mappedSize = size
        self.descriptor = descriptor
        pdpInputs = .allocate(capacity: schema.dataSources.count)
        pdpInputs.initialize(repeating: 0)
        pdpRates = .allocate(capacity: schema.dataSources.count)
        pdpRates.initialize(repeating: 0)
        sources = .allocate(capacity: schema.dataSources.count)
        _ = sources.initialize(from: schema.dataSources.map {
            SourceParameters(type: $0.type, heartbeat: $0.heartbeat, minimum: $0.minimum, maximum: $0.maximum)
        })
        archives = .allocate(capacity: schema.archives.count)
        _ = archives.initialize(from: schema.archives)
    }

    deinit {
        pdpInputs.deallocate()
        pdpRates.deallocate()
        sources.deallocate()
        archives.deallocate()
        munmap(mapping, mappedSize)
        close(descriptor)
    }

    /// Returns once every update so far is on disk. Without it the kernel writes the changes
    /// back in its own time; readers of the file see them at once either way.
    public func synchronize() throws(RRDError) {
        guard msync(mapping, mappedSize, MS_SYNC) == 0 else {
            throw RRDError("msync '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// The rows of one archive as stored, physical row order, row-major.
    func archiveValues(_ archive: Int) -> UnsafeBufferPointer<Double> {
        let count = Int(schema.archives[archive].rows) * schema.dataSources.count
        return UnsafeBufferPointer(start: (mapping + layout.archiveData[archive]).assumingMemoryBound(to: Double.self), count: count)
    }

    /// Stores one value of a row.
    @inline(__always) func setCell(_ value: Double, archive: Int, row: Int, dataSource: Int) {
        mapping.storeBytes(of: value, toByteOffset: layout.cell(archive: archive, row: row, dataSource: dataSource), as: Double.self)
    }

    /// Takes librrd's lock on the whole file (a write lock when writable), waiting up to
    /// `timeout` seconds for readers that hold it.
    public func lock(timeout: Double) throws(RRDError) {
        let deadline = timeout > 0 ? Double(time(nil)) + timeout : 0
        while !Self.lock(descriptor, type: isWritable ? F_WRLCK : F_RDLCK) {
            guard errno == EAGAIN || errno == EACCES, timeout > 0, Double(time(nil)) < deadline else {
                throw RRDError("could not lock RRD '\(path)'")
            }
            usleep(10_000)
        }
    }

    /// Releases the lock `lock(timeout:)` took.
    public func unlock() {
        _ = Self.lock(descriptor, type: F_UNLCK)
    }

    private static func lock(_ descriptor: Int32, type: Int32) -> Bool {
        var request = flock()
        request.l_type = Int16(type)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 0
        return fcntl(descriptor, F_SETLK, &request) == 0
    }

    private static func readHeader(_ bytes: UnsafeRawPointer, size: Int, path: String) throws(RRDError) -> (Schema, Int, FileLayout) {
        let cookie = UnsafeRawBufferPointer(start: bytes, count: 4)
        guard cookie.elementsEqual([0x52, 0x52, 0x44, 0x00]) else {
            throw RRDError("'\(path)' is not an RRD file")
        }
        let versionText = cString(bytes + 4, limit: 5)
        guard let version = Int(versionText) else { throw RRDError("'\(path)' is not an RRD file") }
        guard version <= 5 else { throw RRDError("can't handle RRD file version \(versionText)") }
        guard version >= 3 else {
            throw RRDError("'\(path)' is an RRD file of version \(versionText); perfq reads versions 0003 to 0005 (run rrdtool dump and restore to upgrade it)")
        }
        guard bytes.load(fromByteOffset: 16, as: UInt64.self) == FileLayout.floatCookie else {
            throw RRDError("This RRD was created on another architecture")
        }
        let rawSources = bytes.load(fromByteOffset: 24, as: UInt64.self)
        let rawArchives = bytes.load(fromByteOffset: 32, as: UInt64.self)
        let step = bytes.load(fromByteOffset: 40, as: UInt64.self)
        // A corrupt header must give an error, not an overflow or a read past the end.
        guard rawSources > 0, rawArchives > 0, rawSources < 1 << 20, rawArchives < 1 << 20,
              FileLayout.statHeadSize + 120 * Int(rawSources + rawArchives) <= size else {
            throw RRDError("'\(path)' is too small (should be \(FileLayout.statHeadSize + 120 * Int(min(rawSources, 1 << 20) + min(rawArchives, 1 << 20))) bytes)")
        }
        let dataSourceCount = Int(rawSources)
        let archiveCount = Int(rawArchives)
        guard step > 0, step < 1 << 40 else { throw RRDError("'\(path)' has a step of \(step) seconds; the file is damaged") }
        var dataSources: [DataSource] = []
        for index in 0..<dataSourceCount {
            let offset = FileLayout.statHeadSize + 120 * index
            let name = cString(bytes + offset, limit: 20)
            let typeName = cString(bytes + offset + 20, limit: 20)
            guard let type = DataSourceType(rawValue: typeName) else {
                throw RRDError("'\(path)': data source '\(name)' is of type \(typeName), which perfq does not support (GAUGE, COUNTER, DERIVE, ABSOLUTE, DCOUNTER, DDERIVE)")
            }
            dataSources.append(DataSource(
                name: name, type: type,
                heartbeat: bytes.load(fromByteOffset: offset + 40, as: UInt64.self),
                minimum: bytes.load(fromByteOffset: offset + 48, as: Double.self),
                maximum: bytes.load(fromByteOffset: offset + 56, as: Double.self)))
        }
        var archives: [Archive] = []
        for index in 0..<archiveCount {
            let offset = FileLayout.statHeadSize + 120 * dataSourceCount + 120 * index
            let functionName = cString(bytes + offset, limit: 20)
            guard let function = ConsolidationFunction(rawValue: functionName) else {
                throw RRDError("'\(path)': archive \(index) uses \(functionName), which perfq does not support (AVERAGE, MIN, MAX, LAST)")
            }
            let rows = bytes.load(fromByteOffset: offset + 24, as: UInt64.self)
            let stepsPerRow = bytes.load(fromByteOffset: offset + 32, as: UInt64.self)
            let (rowStep, stepOverflow) = step.multipliedReportingOverflow(by: stepsPerRow)
            let (span, spanOverflow) = rowStep.multipliedReportingOverflow(by: rows)
            guard rows > 0, stepsPerRow > 0, rows < 1 << 40, !stepOverflow, !spanOverflow, span < 1 << 50 else {
                throw RRDError("'\(path)': archive \(index) has \(rows) rows of \(stepsPerRow) steps of \(step) seconds; the file is damaged")
            }
            archives.append(Archive(
                function: function, xff: bytes.load(fromByteOffset: offset + 40, as: Double.self),
                stepsPerRow: stepsPerRow, rows: rows))
        }
        let cells = archives.reduce(UInt64(0)) { $0 &+ $1.rows } &* UInt64(dataSourceCount)
        guard cells < UInt64(size) else {
            throw RRDError("'\(path)' is too small (should be more than \(cells * 8) bytes)")
        }
        let layout = FileLayout(dataSources: dataSourceCount, rowsPerArchive: archives.map(\.rows))
        guard layout.fileSize <= size else {
            throw RRDError("'\(path)' is too small (should be \(layout.fileSize) bytes)")
        }
        for index in 0..<archiveCount where bytes.load(fromByteOffset: layout.currentRow(index), as: UInt64.self) >= archives[index].rows {
            throw RRDError("'\(path)': archive \(index) points at row \(bytes.load(fromByteOffset: layout.currentRow(index), as: UInt64.self)) of \(archives[index].rows)")
        }
        let lastUpdate = bytes.load(fromByteOffset: layout.liveHead, as: Int64.self)
        let microseconds = bytes.load(fromByteOffset: layout.liveHead + 8, as: Int64.self)
        guard lastUpdate >= 0, lastUpdate < 1 << 40, (0..<1_000_000).contains(microseconds) else {
            throw RRDError("'\(path)' was last updated at \(lastUpdate).\(microseconds); the file is damaged")
        }
        return (Schema(step: step, dataSources: dataSources, archives: archives), version, layout)
    }

    /// Whether the path now names another file than the one open (it was replaced or removed).
    public var isReplaced: Bool {
        var opened = stat()
        var current = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &current) == 0 else { return true }
        return opened.st_ino != current.st_ino || opened.st_dev != current.st_dev
    }

    /// Refuses to touch a file that shrank under us (`cp backup.rrd live.rrd` truncates it in
    /// place): the mapping would fault past its end.
    func checkSize() throws(RRDError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int(info.st_size) >= layout.fileSize else {
            throw RRDError("'\(path)' changed size while open; open it again")
        }
    }

    private static func cString(_ pointer: UnsafeRawPointer, limit: Int) -> String {
        let bytes = UnsafeRawBufferPointer(start: pointer, count: limit)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: State

    /// The time of the last update, in seconds.
    public var lastUpdate: Int64 { mapping.load(fromByteOffset: layout.liveHead, as: Int64.self) }
    /// The microseconds part of the last update.
    public var lastUpdateMicroseconds: Int64 { mapping.load(fromByteOffset: layout.liveHead + 8, as: Int64.self) }

    /// The last reading of a data source as it was written (`last_ds`), `U` when unknown.
    public func lastReading(_ dataSource: Int) -> String {
        let bytes = UnsafeRawBufferPointer(start: mapping + layout.lastReading(dataSource), count: 30)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The physical index of the most recently written row of an archive.
    public func currentRow(_ archive: Int) -> UInt64 {
        u64(layout.currentRow(archive))
    }

    /// The header: definitions, consolidation state and row pointers, all an update reads.
    public var headerBytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: mapping, count: layout.headerSize))
    }

    /// The raw bytes of the whole file.
    public var bytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: mapping, count: layout.fileSize))
    }


    @inline(__always) func double(_ offset: Int) -> Double {
        mapping.load(fromByteOffset: offset, as: Double.self)
    }

    @inline(__always) func setDouble(_ value: Double, _ offset: Int) {
        mapping.storeBytes(of: value, toByteOffset: offset, as: Double.self)
    }

    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        mapping.load(fromByteOffset: offset, as: UInt64.self)
    }

    @inline(__always) func setU64(_ value: UInt64, _ offset: Int) {
        mapping.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
    }
}
