#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RoundRobinFile {
    /// The bytes rrdtool 1.7.2 writes for a new file.
    ///
    /// - Parameter currentRows: the row each archive starts at. librrd picks them at random; tests
    ///   pass librrd's choice to compare whole files.
    public static func newFileBytes(schema: Schema, start: Int64, currentRows: [UInt64]? = nil) -> [UInt8] {
        let layout = FileLayout(dataSources: schema.dataSources.count, rowsPerArchive: schema.archives.map(\.rows))
        var bytes = [UInt8](repeating: 0, count: layout.fileSize)
        bytes.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            func put(_ text: String, at offset: Int) {
                for (index, byte) in text.utf8.enumerated() { raw[offset + index] = byte }
            }
            put("RRD", at: 0)
            put("000\(schema.fileVersion)", at: 4)
            base.storeBytes(of: FileLayout.floatCookie, toByteOffset: 16, as: UInt64.self)
            base.storeBytes(of: UInt64(schema.dataSources.count), toByteOffset: 24, as: UInt64.self)
            base.storeBytes(of: UInt64(schema.archives.count), toByteOffset: 32, as: UInt64.self)
            base.storeBytes(of: schema.step, toByteOffset: 40, as: UInt64.self)
            for (index, source) in schema.dataSources.enumerated() {
                let offset = layout.dataSourceDefinition(index)
                put(source.name, at: offset)
                put(source.type.rawValue, at: offset + 20)
                base.storeBytes(of: source.heartbeat, toByteOffset: offset + 40, as: UInt64.self)
                base.storeBytes(of: source.minimum, toByteOffset: offset + 48, as: Double.self)
                base.storeBytes(of: source.maximum, toByteOffset: offset + 56, as: Double.self)
            }
            for (index, archive) in schema.archives.enumerated() {
                let offset = layout.archiveDefinition(index)
                put(archive.function.rawValue, at: offset)
                base.storeBytes(of: archive.rows, toByteOffset: offset + 24, as: UInt64.self)
                base.storeBytes(of: archive.stepsPerRow, toByteOffset: offset + 32, as: UInt64.self)
                base.storeBytes(of: archive.xff, toByteOffset: offset + 40, as: Double.self)
            }
            base.storeBytes(of: start, toByteOffset: layout.liveHead, as: Int64.self)
            let step = schema.step
            let startOffset = UInt64(bitPattern: start) % step
            for index in schema.dataSources.indices {
                put("U", at: layout.lastReading(index))
                base.storeBytes(of: startOffset, toByteOffset: layout.unknownSeconds(index), as: UInt64.self)
                base.storeBytes(of: DoubleBits.unknown, toByteOffset: layout.pdpValue(index), as: Double.self)
            }
            let alignedStart = UInt64(bitPattern: start) - startOffset
            for (archiveIndex, archive) in schema.archives.enumerated() {
                // The steps of the first row that lie before the start count as unknown.
                let unknownPoints = (alignedStart % (step * archive.stepsPerRow)) / step
                for sourceIndex in schema.dataSources.indices {
                    base.storeBytes(of: DoubleBits.unknown, toByteOffset: layout.cdpValue(archiveIndex, sourceIndex), as: Double.self)
                    base.storeBytes(of: unknownPoints, toByteOffset: layout.cdpUnknownPoints(archiveIndex, sourceIndex), as: UInt64.self)
                }
                let row = currentRows?[archiveIndex] ?? UInt64.random(in: 0..<archive.rows)
                base.storeBytes(of: row, toByteOffset: layout.currentRow(archiveIndex), as: UInt64.self)
            }
            var offset = layout.headerSize
            while offset < layout.fileSize {
                base.storeBytes(of: DoubleBits.unknown, toByteOffset: offset, as: Double.self)
                offset += 8
            }
        }
        return bytes
    }

    /// Creates a file as `rrdtool create` does: written beside the target and renamed over it, so a
    /// reader never sees half a file.
    public static func create(at path: String, schema: Schema, start: Int64, overwrite: Bool = true, currentRows: [UInt64]? = nil) throws(RRDError) {
        if !overwrite && access(path, F_OK) == 0 {
            throw RRDError("creating '\(path)': File exists")
        }
        let bytes = newFileBytes(schema: schema, start: start, currentRows: currentRows)
        var template = Array((path + ".XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw RRDError("Cannot create temporary file for '\(path)': \(String(cString: strerror(errno)))")
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw RRDError("creating '\(path)': \(reason)")
            }
            written += count
        }
        // A file written over keeps its mode, as with rrdtool: a 0600 file stays private.
        var existing = stat()
        fchmod(descriptor, stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : 0o644)
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RRDError("creating '\(path)': \(reason)")
        }
    }
}
