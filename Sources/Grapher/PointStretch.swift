import RoundRobin

/// A run of rows of one series' average line (`[ms,y]`) or min/max band (`[ms,low,high]`), written
/// as JSON text on its own so that the rows of a long export are written on every core at once.
struct PointStretch {
    /// AVERAGE rows for a line, MAX rows for a band.
    var source: FetchResult
    /// For a band, the MIN value of each of `source`'s rows (NaN where there is none).
    var lows: [Double]?
    var rows: Range<Int>

    /// A series' line or band in stretches of about 20,000 rows: enough to keep every core busy.
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
        let count = max(1, (source.rowCount + 19_999) / 20_000)
        return (0..<count).map { index in
            PointStretch(source: source, lows: lows, rows: source.rowCount * index / count..<source.rowCount * (index + 1) / count)
        }
    }

    /// The rows' text; a comma before every row but the series' first.
    func text() -> [UInt8] {
        let length = JSONTextWriter.maximumLength(ofNumbers: rows.count * 2, integers: rows.count, punctuation: rows.count * 5)
        return [UInt8](unsafeUninitializedCapacity: max(1, length)) { buffer, count in
            var writer = JSONTextWriter(at: buffer.baseAddress!)
            source.values.withUnsafeBufferPointer { values in
                for row in rows {
                    if row > 0 { writer.write(UInt8(ascii: ",")) }
                    writer.write(UInt8(ascii: "["))
                    writer.write(source.time(ofRow: row) * 1000)
                    writer.write(UInt8(ascii: ","))
                    if let lows {
                        writer.write(Self.known(lows[row]))
                        writer.write(UInt8(ascii: ","))
                    }
                    writer.write(Self.known(values[row]))
                    writer.write(UInt8(ascii: "]"))
                }
            }
            count = writer.position - buffer.baseAddress!
        }
    }

    private static func known(_ value: Double) -> Double? {
        value.isNaN ? nil : value
    }
}
