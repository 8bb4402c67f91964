import RoundRobin

/// A run of rows of one series' average line (`[ms,y]`) or min/max band (`[ms,low,high]`), written
/// as JSON text on its own so that the rows of a long export are written on every core at once.
struct PointStretch {
    /// AVERAGE rows for a line, MAX rows for a band.
    var source: FetchResult
    /// For a band, the MIN value of each of `source`'s rows (NaN where there is none).
    var lows: [Double]?
    var rows: Range<Int>
    /// Kept by a line's stretches, used by its band's when their rows pair up.
    var averageTexts: AverageTexts?

    static let rowsPerStretch = 4096

    /// A series' line and band in stretches of 4,096 rows: a few hundred kilobytes of text each,
    /// small enough to stay in the cache, enough of them to keep every core busy.
    static func split(_ series: HighchartsExport.Series) -> (line: [PointStretch], band: [PointStretch]) {
        let average = series.average
        let maximum = series.maximum
        let minimum = series.minimum
        // MIN and MAX normally come from archives of the same step: rows pair up by index.
        let lows: [Double]
        if minimum.start == maximum.start && minimum.step == maximum.step && minimum.rowCount == maximum.rowCount {
            lows = minimum.values
        } else {
            let byTime = Dictionary(uniqueKeysWithValues: (0..<minimum.rowCount).map { (minimum.time(ofRow: $0), minimum.values[$0]) })
            lows = (0..<maximum.rowCount).map { byTime[maximum.time(ofRow: $0)] ?? .nan }
        }
        var averageTexts: AverageTexts?
        if average.start == maximum.start && average.step == maximum.step && average.rowCount == maximum.rowCount {
            averageTexts = AverageTexts(averages: average.values, stretches: (average.rowCount + rowsPerStretch - 1) / rowsPerStretch)
        }
        func stretches(_ source: FetchResult, lows: [Double]?) -> [PointStretch] {
            Swift.stride(from: 0, to: source.rowCount, by: rowsPerStretch).map { first in
                PointStretch(source: source, lows: lows, rows: first..<min(first + rowsPerStretch, source.rowCount), averageTexts: averageTexts)
            }
        }
        return (stretches(average, lows: nil), stretches(maximum, lows: lows))
    }

    var maximumLength: Int {
        JSONTextWriter.maximumLength(ofNumbers: rows.count * 2, integers: rows.count, punctuation: rows.count * 5)
    }

    /// Writes the rows' text, a comma before every row but the series' first, and returns its
    /// length; `buffer` holds `maximumLength` bytes.
    func write(into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var writer = JSONTextWriter(at: buffer)
        let stretch = rows.lowerBound / Self.rowsPerStretch
        if lows != nil { averageTexts?.waitForStretch(stretch) }
        source.values.withUnsafeBufferPointer { values in
            for row in rows {
                if row > 0 { writer.write(UInt8(ascii: ",")) }
                writer.write(UInt8(ascii: "["))
                writer.write(milliseconds: source.time(ofRow: row))
                writer.write(UInt8(ascii: ","))
                guard let lows else {
                    let start = writer.position
                    writer.write(Self.known(values[row]))
                    averageTexts?.keep(row: row, text: start, count: writer.position - start)
                    writer.write(UInt8(ascii: "]"))
                    continue
                }
                let low = writer.position
                if let averageTexts, lows[row].bitPattern == averageTexts.averages[row].bitPattern {
                    let text = averageTexts.text(ofRow: row)
                    writer.write(copyOf: text.start, count: text.count)
                } else {
                    writer.write(Self.known(lows[row]))
                }
                writer.write(UInt8(ascii: ","))
                // A row of one step has the same low and high: the low's text is copied.
                if lows[row].bitPattern == values[row].bitPattern {
                    writer.write(copyOf: low, count: writer.position - low - 1)
                } else {
                    writer.write(Self.known(values[row]))
                }
                writer.write(UInt8(ascii: "]"))
            }
        }
        if lows == nil { averageTexts?.madeStretch(stretch) }
        return writer.position - buffer
    }

    private static func known(_ value: Double) -> Double? {
        value.isNaN ? nil : value
    }
}
