import RoundRobin

/// A run of rows of one series' average line (`[ms,y]`) or min/max band (`[ms,low,high]`), written
/// as JSON text on its own so that the rows of a long export are written on every core at once.
struct PointStretch {
    /// AVERAGE rows for a line, MAX rows for a band.
    var source: FetchResult
    /// For a band, the MIN value of each of `source`'s rows (NaN where there is none).
    var lows: [Double]?
    var rows: Range<Int>

    /// A series' line or band in stretches of 4,096 rows: a few hundred kilobytes of text each,
    /// small enough to stay in the cache, enough of them to keep every core busy.
    static func split(_ series: HighchartsExport.Series, band: Bool) -> [PointStretch] {
        let source = band ? series.maximum : series.average
        var lows: [Double]?
        if band {
            let minimum = series.minimum
            // MIN and MAX normally come from archives of the same step: rows pair up by index.
            if minimum.start == source.start && minimum.step == source.step && minimum.rowCount == source.rowCount {
                lows = minimum.values
            } else {
                let byTime = Dictionary(uniqueKeysWithValues: (0..<minimum.rowCount).map { (minimum.time(ofRow: $0), minimum.values[$0]) })
                lows = (0..<source.rowCount).map { byTime[source.time(ofRow: $0)] ?? .nan }
            }
        }
        return stride(from: 0, to: source.rowCount, by: 4096).map { first in
            PointStretch(source: source, lows: lows, rows: first..<min(first + 4096, source.rowCount))
        }
    }

    var maximumLength: Int {
        JSONTextWriter.maximumLength(ofNumbers: rows.count * 2, integers: rows.count, punctuation: rows.count * 5)
    }

    /// Writes the rows' text, a comma before every row but the series' first, and returns its
    /// length; `buffer` holds `maximumLength` bytes.
    func write(into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var writer = JSONTextWriter(at: buffer)
        source.values.withUnsafeBufferPointer { values in
            for row in rows {
                if row > 0 { writer.write(UInt8(ascii: ",")) }
                writer.write(UInt8(ascii: "["))
                writer.write(milliseconds: source.time(ofRow: row))
                writer.write(UInt8(ascii: ","))
                if let lows {
                    let low = writer.position
                    writer.write(Self.known(lows[row]))
                    writer.write(UInt8(ascii: ","))
                    // A row of one step (the finest archive) has the same low and high: the
                    // low's text is copied rather than made again.
                    if lows[row].bitPattern == values[row].bitPattern {
                        writer.write(copyOf: low, count: writer.position - low - 1)
                        writer.write(UInt8(ascii: "]"))
                        continue
                    }
                }
                writer.write(Self.known(values[row]))
                writer.write(UInt8(ascii: "]"))
            }
        }
        return writer.position - buffer
    }

    private static func known(_ value: Double) -> Double? {
        value.isNaN ? nil : value
    }
}
