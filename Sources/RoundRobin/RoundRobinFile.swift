#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open round-robin file in rrdtool 1.7's format.
///
/// The header (definitions and consolidation state, a few KB) is read once into memory; updates
/// change it there and collect the rows they complete. `flush()` writes the rows and then the
/// header with one `pwrite` per contiguous run, so a batch of updates to one file costs a handful
/// of system calls instead of librrd's open, map and page faults per update. Opening takes
/// librrd's whole-file `fcntl` lock (a write lock when writable), so rrdtool and perfq never write
/// one file at once; closing the file (deinit) flushes and releases it.
public final class RoundRobinFile {
    public let path: String
    public let schema: Schema
    /// 3, 4 or 5: `0005` when a DCOUNTER or DDERIVE data source needs it.
    public let version: Int
    public let isWritable: Bool
    let layout: FileLayout
    /// The header, `layout.headerSize` bytes, as in the file plus unflushed changes.
    let header: UnsafeMutableRawPointer
    private let descriptor: Int32
    var headerChanged = false
    /// Rows written by updates and not yet flushed: file offset and value.
    var pendingCells: [(offset: Int, value: Double)] = []

    // Per-update scratch, kept to avoid allocating on every update.
    var pdpInputs: [Double]
    var pdpRates: [Double]

    /// Opens an existing file; `writable` for updates.
    public init(path: String, writable: Bool = false) throws(RRDError) {
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
            throw RRDError("'\(path)' is too small (should be \(FileLayout.statHeadSize) bytes)")
        }
        guard Self.lock(descriptor, writable: writable) else {
            close(descriptor)
            throw RRDError("could not lock RRD")
        }
        // One read covers the whole header of typical files; a larger one needs a second.
        var buffer = [UInt8](repeating: 0, count: min(size, 8192))
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        guard count == buffer.count else {
            close(descriptor)
            throw RRDError("reached EOF while loading header rrd->stat_head")
        }
        func parse(_ buffer: [UInt8]) -> Result<(Schema, Int, FileLayout), RRDError> {
            buffer.withUnsafeBytes { raw in
                Result { () throws(RRDError) in try Self.readHeader(raw.baseAddress!, size: size, loaded: raw.count, path: path) }
            }
        }
        var parsed = parse(buffer)
        if case .success(let first) = parsed, first.2.headerSize > buffer.count {
            buffer = [UInt8](repeating: 0, count: first.2.headerSize)
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
            parsed = count == buffer.count ? parse(buffer) : .failure(RRDError("reached EOF while loading header rrd->stat_head"))
        }
        let layout: FileLayout
        switch parsed {
        case .success(let header): (schema, version, layout) = header; self.layout = layout
        case .failure(let error):
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        let header = UnsafeMutableRawPointer.allocate(byteCount: layout.headerSize, alignment: 8)
        let headerSize = layout.headerSize
        buffer.withUnsafeBytes { header.copyMemory(from: $0.baseAddress!, byteCount: headerSize) }
        self.header = header
        pdpInputs = Array(repeating: 0, count: schema.dataSources.count)
        pdpRates = pdpInputs
    }

    deinit {
        try? flush()
        header.deallocate()
        close(descriptor)
    }

    /// Writes what updates changed: the completed rows, then the header that points at them.
    /// Readers of the file (rrdtool, another process) see the updates from then on.
    public func flush() throws(RRDError) {
        if !pendingCells.isEmpty {
            pendingCells.sort { $0.offset < $1.offset }
            var run: [Double] = []
            var runStart = pendingCells[0].offset
            for (index, cell) in pendingCells.enumerated() {
                // A later write to the same cell wins, as it would in place.
                if index + 1 < pendingCells.count && pendingCells[index + 1].offset == cell.offset { continue }
                if cell.offset != runStart + 8 * run.count {
                    try write(run, at: runStart)
                    run.removeAll(keepingCapacity: true)
                    runStart = cell.offset
                }
                run.append(cell.value)
            }
            try write(run, at: runStart)
            pendingCells.removeAll(keepingCapacity: true)
        }
        if headerChanged {
            try write(UnsafeRawBufferPointer(start: header, count: layout.headerSize), at: 0)
            headerChanged = false
        }
    }

    /// Flushes, then waits until the file's data is on disk.
    public func synchronize() throws(RRDError) {
        try flush()
        guard fdatasync(descriptor) == 0 else {
            throw RRDError("fdatasync '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    private func write(_ values: [Double], at offset: Int) throws(RRDError) {
        let result = values.withUnsafeBytes { bytes in Result { () throws(RRDError) in try write(bytes, at: offset) } }
        try result.get()
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(RRDError) {
        var done = 0
        while done < bytes.count {
            let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            guard count > 0 else {
                throw RRDError("writing '\(path)': \(String(cString: strerror(errno)))")
            }
            done += count
        }
    }

    /// The rows of one archive as stored, physical row order, row-major.
    func archiveValues(_ archive: Int) throws(RRDError) -> [Double] {
        try flush()
        let count = Int(schema.archives[archive].rows) * schema.dataSources.count
        var values = [Double](repeating: 0, count: count)
        let offset = layout.archiveData[archive]
        let read = values.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(offset)) }
        guard read == count * 8 else {
            throw RRDError("reading '\(path)': \(read < 0 ? String(cString: strerror(errno)) : "file is short")")
        }
        return values
    }

    private static func lock(_ descriptor: Int32, writable: Bool) -> Bool {
        var request = flock()
        request.l_type = Int16(writable ? F_WRLCK : F_RDLCK)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 0
        return fcntl(descriptor, F_SETLK, &request) == 0
    }

    /// Reads the definitions from the first `loaded` bytes of a file of `size` bytes.
    private static func readHeader(_ bytes: UnsafeRawPointer, size: Int, loaded: Int, path: String) throws(RRDError) -> (Schema, Int, FileLayout) {
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
        let dataSourceCount = Int(bytes.load(fromByteOffset: 24, as: UInt64.self))
        let archiveCount = Int(bytes.load(fromByteOffset: 32, as: UInt64.self))
        let step = bytes.load(fromByteOffset: 40, as: UInt64.self)
        let definitionsEnd = FileLayout.statHeadSize + 120 * (dataSourceCount + archiveCount)
        guard dataSourceCount > 0, archiveCount > 0, dataSourceCount < 100_000, archiveCount < 100_000, definitionsEnd <= size else {
            throw RRDError("'\(path)' is too small (should be \(definitionsEnd) bytes)")
        }
        guard definitionsEnd <= loaded else {
            // The caller reads more and asks again; only the sizes matter until then.
            let layout = FileLayout(dataSources: dataSourceCount, rowsPerArchive: [UInt64](repeating: 1, count: archiveCount))
            return (Schema(step: step, dataSources: [], archives: []), 0, layout)
        }
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
            guard rows > 0, stepsPerRow > 0, rows < 1 << 40 else {
                throw RRDError("'\(path)': archive \(index) has \(rows) rows of \(stepsPerRow) steps")
            }
            archives.append(Archive(
                function: function, xff: bytes.load(fromByteOffset: offset + 40, as: Double.self),
                stepsPerRow: stepsPerRow, rows: rows))
        }
        let layout = FileLayout(dataSources: dataSourceCount, rowsPerArchive: archives.map(\.rows))
        guard layout.fileSize <= size else {
            throw RRDError("'\(path)' is too small (should be \(layout.fileSize) bytes)")
        }
        guard layout.headerSize <= loaded else { return (Schema(step: step, dataSources: dataSources, archives: archives), 0, layout) }
        for index in 0..<archiveCount where bytes.load(fromByteOffset: layout.currentRow(index), as: UInt64.self) >= archives[index].rows {
            throw RRDError("'\(path)': archive \(index) points at row \(bytes.load(fromByteOffset: layout.currentRow(index), as: UInt64.self)) of \(archives[index].rows)")
        }
        return (Schema(step: step, dataSources: dataSources, archives: archives), version, layout)
    }

    private static func cString(_ pointer: UnsafeRawPointer, limit: Int) -> String {
        let bytes = UnsafeRawBufferPointer(start: pointer, count: limit)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: State

    /// The time of the last update, in seconds.
    public var lastUpdate: Int64 { header.load(fromByteOffset: layout.liveHead, as: Int64.self) }
    /// The microseconds part of the last update.
    public var lastUpdateMicroseconds: Int64 { header.load(fromByteOffset: layout.liveHead + 8, as: Int64.self) }

    /// The last reading of a data source as it was written (`last_ds`), `U` when unknown.
    public func lastReading(_ dataSource: Int) -> String {
        let bytes = UnsafeRawBufferPointer(start: header + layout.lastReading(dataSource), count: 30)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The physical index of the most recently written row of an archive.
    public func currentRow(_ archive: Int) -> UInt64 {
        u64(layout.currentRow(archive))
    }

    /// The raw bytes of the whole file, with every update flushed.
    public func bytes() throws(RRDError) -> [UInt8] {
        try flush()
        var bytes = [UInt8](repeating: 0, count: layout.fileSize)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        guard read == bytes.count else { throw RRDError("reading '\(path)': file is short") }
        return bytes
    }

    // Header fields by offset.

    @inline(__always) func double(_ offset: Int) -> Double {
        header.load(fromByteOffset: offset, as: Double.self)
    }

    @inline(__always) func setDouble(_ value: Double, _ offset: Int) {
        header.storeBytes(of: value, toByteOffset: offset, as: Double.self)
    }

    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        header.load(fromByteOffset: offset, as: UInt64.self)
    }

    @inline(__always) func setU64(_ value: UInt64, _ offset: Int) {
        header.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
    }
}
