/// Rows read back from a file, as `rrd_fetch_r` returns them.
public struct FetchResult: Sendable, Equatable {
    /// The start after alignment; the first row is labelled `start + step`.
    public var start: Int64
    public var end: Int64
    public var step: UInt64
    public var dataSourceNames: [String]
    /// Row-major: `values[row * dataSourceNames.count + dataSource]`.
    public var values: [Double]
    /// The archive the rows came from.
    public var archive: Int

    public var rowCount: Int { dataSourceNames.isEmpty ? 0 : values.count / dataSourceNames.count }

    /// The time that labels `row`: the end of the interval it covers.
    public func time(ofRow row: Int) -> Int64 {
        start + Int64(row + 1) * Int64(step)
    }
}

extension RoundRobinFile {
    /// Chooses the archive `rrd_fetch_r` would read for this function, window and resolution.
    public func archiveForFetch(_ function: ConsolidationFunction, start: Int64, end: Int64, resolution: UInt64) throws(RRDError) -> Int {
        var bestFull: (index: Int, difference: UInt64)?
        var bestPartial: (index: Int, coverage: Int64, difference: UInt64)?
        let last = lastUpdate
        for (index, archive) in schema.archives.enumerated() {
            // An archive of one step per row holds every function's value for that step.
            guard archive.function == function || archive.stepsPerRow == 1 else { continue }
            let rowStep = Int64(schema.step * archive.stepsPerRow)
            let calendarEnd = last - last % rowStep
            let calendarStart = calendarEnd - rowStep * Int64(archive.rows)
            let difference = resolution > UInt64(rowStep) ? resolution - UInt64(rowStep) : UInt64(rowStep) - resolution
            if calendarStart <= start {
                if bestFull == nil || difference < bestFull!.difference {
                    bestFull = (index, difference)
                }
            } else {
                let coverage = (end - start) - (calendarStart - start)
                if bestPartial == nil || coverage > bestPartial!.coverage
                    || (coverage == bestPartial!.coverage && difference < bestPartial!.difference) {
                    bestPartial = (index, coverage, difference)
                }
            }
        }
        if let bestFull { return bestFull.index }
        if let bestPartial { return bestPartial.index }
        throw RRDError("the RRD does not contain an RRA matching the chosen CF")
    }

    /// Reads rows as `rrd_fetch_r` does: the best archive for the window, start aligned down and
    /// end moved up to the archive's step (always by at least one step), unknown outside the
    /// archive's span.
    public func fetch(_ function: ConsolidationFunction, start requestedStart: Int64, end requestedEnd: Int64, resolution: UInt64 = 1) throws(RRDError) -> FetchResult {
        guard abs(requestedStart) < 1 << 50, abs(requestedEnd) < 1 << 50 else {
            throw RRDError("the time window \(requestedStart)…\(requestedEnd) is out of range")
        }
        let archiveIndex = try archiveForFetch(function, start: requestedStart, end: requestedEnd, resolution: resolution)
        let archive = schema.archives[archiveIndex]
        let rowStep = Int64(schema.step * archive.stepsPerRow)
        let start = requestedStart - requestedStart % rowStep
        let end = requestedEnd + rowStep - requestedEnd % rowStep
        // librrd allocates the rows first; a window of more than 2^28 rows fails there.
        guard end > start, (end - start) / rowStep < 1 << 28 else {
            throw RRDError("malloc fetch data area")
        }
        let rowCount = Int((end - start) / rowStep)
        let sources = schema.dataSources.count
        var values = [Double](repeating: DoubleBits.unknown, count: rowCount * sources)
        let last = lastUpdate
        let newest = last - last % rowStep
        let oldest = newest - Int64(archive.rows - 1) * rowStep
        let current = Int64(currentRow(archiveIndex))
        let rows = Int64(archive.rows)
        let stored = archiveValues(archiveIndex)
        // Row r is labelled start + (r + 1) × rowStep; the archive holds the labels from oldest
        // to newest, one after the other in the ring from the physical row of the first.
        let firstRow = max(0, Int((oldest - start) / rowStep) - 1)
        let lastRow = min(rowCount - 1, Int((newest - start) / rowStep) - 1)
        if firstRow <= lastRow {
            let label = start + Int64(firstRow + 1) * rowStep
            var physical = Int((current - (newest - label) / rowStep) % rows)
            if physical < 0 { physical += Int(rows) }
            // At most two runs: up to the ring's end, then from its start.
            values.withUnsafeMutableBufferPointer { values in
                var row = firstRow
                while row <= lastRow {
                    let run = min(lastRow + 1 - row, Int(rows) - physical)
                    (values.baseAddress! + row * sources).update(from: stored.baseAddress! + physical * sources, count: run * sources)
                    row += run
                    physical = 0
                }
            }
        }
        return FetchResult(
            start: start, end: end, step: UInt64(rowStep), dataSourceNames: schema.dataSources.map(\.name),
            values: values, archive: archiveIndex)
    }
}
