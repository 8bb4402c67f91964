/// `rrdtool xport` for `DEF` and `XPORT` items: series from one or more files on one time axis,
/// as rrdtool's graph engine lays them out (its step choice, consolidation and row alignment).
public struct Export: Sendable {
    public struct Definition: Sendable {
        public var name: String
        public var path: String
        public var dataSource: String
        public var function: ConsolidationFunction
        public var step: UInt64?
    }

    public struct Column: Sendable {
        public var definition: String
        public var legend: String
    }

    public var definitions: [Definition] = []
    public var columns: [Column] = []
    public var start: Int64
    public var end: Int64
    public var maximumRows: Int = 400
    public var step: UInt64 = 0

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// Adds a `DEF:` or `XPORT:` item.
    public mutating func add(_ item: String) throws(RRDError) {
        if item.hasPrefix("DEF:") {
            let body = item.dropFirst(4)
            guard let equals = body.firstIndex(of: "=") else { throw RRDError("can't parse '\(item)'") }
            let name = String(body[..<equals])
            var parts = body[body.index(after: equals)...].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            // A DEF names file:ds:CF; options such as step=N follow.
            guard parts.count >= 3 else { throw RRDError("can't parse '\(item)'") }
            let functionName = parts[2]
            guard let function = ConsolidationFunction(rawValue: functionName) else {
                throw RRDError("unknown consolidation function '\(functionName)'")
            }
            var definition = Definition(name: name, path: parts[0], dataSource: parts[1], function: function)
            parts.removeFirst(3)
            for option in parts {
                if option.hasPrefix("step="), let step = UInt64(option.dropFirst(5)), step > 0, step < 1 << 40 {
                    definition.step = step
                } else {
                    throw RRDError("perfq rrd xport does not support the DEF option '\(option)'")
                }
            }
            definitions.append(definition)
        } else if item.hasPrefix("XPORT:") {
            let parts = item.dropFirst(6).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard definitions.contains(where: { $0.name == parts[0] }) else {
                throw RRDError("the vname '\(parts[0])' is not defined")
            }
            columns.append(Column(definition: parts[0], legend: parts.count > 1 ? parts[1] : ""))
        } else if item.hasPrefix("CDEF:") || item.hasPrefix("VDEF:") {
            throw RRDError("perfq rrd xport supports DEF and XPORT items; CDEF and VDEF are not supported")
        } else {
            throw RRDError("can't parse '\(item)'")
        }
    }

    public struct Table: Sendable {
        /// The first row is labelled `start + step`.
        public var start: Int64
        public var end: Int64
        public var step: UInt64
        public var legends: [String]
        /// Row-major values.
        public var values: [Double]

        public var rowCount: Int { legends.isEmpty ? 0 : values.count / legends.count }
    }

    private struct Series {
        var start: Int64
        var step: UInt64
        var values: [Double]
    }

    public func table() throws(RRDError) -> Table {
        guard maximumRows >= 10 else { throw RRDError("maxrows below 10 rows") }
        guard start < end else { throw RRDError("start (\(start)) should be less than end (\(end))") }
        guard !columns.isEmpty else { throw RRDError("no XPORT found, nothing to do") }
        let graphStep = max(step, UInt64(max(0, end - start)) / UInt64(maximumRows))
        var series: [String: Series] = [:]
        for definition in definitions {
            let file = try RoundRobinFile(path: definition.path)
            guard let source = file.schema.dataSources.firstIndex(where: { $0.name == definition.dataSource }) else {
                throw RRDError("No DS called '\(definition.dataSource)' in '\(definition.path)'")
            }
            let requested = definition.step ?? graphStep
            let fetched = try file.fetch(definition.function, start: start, end: end, resolution: requested)
            let sources = fetched.dataSourceNames.count
            var column = Series(
                start: fetched.start, step: fetched.step,
                values: (0..<fetched.rowCount).map { fetched.values[$0 * sources + source] })
            let wanted = max(requested, graphStep)
            if column.step < wanted {
                column = Self.reduce(column, factor: (wanted + column.step - 1) / column.step, function: definition.function)
            }
            series[definition.name] = column
        }
        let used = columns.map { series[$0.definition]! }
        // rrdtool lays the columns on the greatest common divisor of their steps.
        let columnStep = used.map(\.step).dropFirst().reduce(used[0].step) { greatestCommonDivisor($0, $1) }
        let rowStep = Int64(columnStep)
        let alignedStart = start - start % rowStep
        let alignedEnd = end - end % rowStep + (end % rowStep == 0 ? 0 : rowStep)
        let rows = Int((alignedEnd - alignedStart) / rowStep)
        var values: [Double] = []
        values.reserveCapacity(rows * used.count)
        for row in 0..<rows {
            let time = alignedStart + Int64(row) * rowStep
            for column in used {
                let index = Int((time - column.start) / Int64(column.step))
                values.append(time >= column.start && index < column.values.count ? column.values[index] : DoubleBits.unknown)
            }
        }
        return Table(start: alignedStart, end: alignedEnd, step: columnStep, legends: columns.map(\.legend), values: values)
    }

    /// Consolidates `factor` rows into one, as rrdtool's graph engine does when a file's archive
    /// is finer than the step wanted: output rows lie on multiples of the new step, and one that
    /// the fetched rows cover only in part is unknown.
    private static func reduce(_ series: Series, factor: UInt64, function: ConsolidationFunction) -> Series {
        let newStep = series.step * factor
        let step = Int64(series.step)
        let newStart = series.start - series.start % Int64(newStep)
        var values: [Double] = []
        var time = newStart
        let seriesEnd = series.start + Int64(series.values.count) * step
        while time < seriesEnd {
            var group: [Double] = []
            let covered = time >= series.start && time + Int64(newStep) <= seriesEnd
            for k in 0..<Int64(factor) where covered {
                let value = series.values[Int((time + k * step - series.start) / step)]
                if !value.isNaN { group.append(value) }
            }
            if group.isEmpty {
                values.append(DoubleBits.unknown)
            } else {
                switch function {
                case .average: values.append(group.reduce(0, +) / Double(group.count))
                case .minimum: values.append(group.min()!)
                case .maximum: values.append(group.max()!)
                case .last: values.append(group.last!)
                }
            }
            time += Int64(newStep)
        }
        return Series(start: newStart, step: newStep, values: values)
    }
}

private func greatestCommonDivisor(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var x = a
    var y = b
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

extension Export.Table {
    /// rrdtool's `--json` text.
    public func json(showTime: Bool = false) -> String {
        var out = "{ \"about\": \"RRDtool graph JSON output\",\n  \"meta\": {\n"
        out += "    \"start\": \(start + Int64(step)),\n"
        out += "    \"end\": \(end),\n"
        out += "    \"step\": \(step),\n"
        out += "    \"legend\": [\n"
        out += legends.map { "      \"\($0)\"" }.joined(separator: ",\n")
        out += "\n          ]\n     },\n  \"data\": [\n"
        let columns = legends.count
        var rows: [String] = []
        for row in 0..<rowCount {
            let cells = (0..<columns).map { column -> String in
                let value = values[row * columns + column]
                return value.isNaN || value.isInfinite ? "null" : CFormat.portableScientific(value)
            }
            let time = showTime ? "\"\(start + Int64(row + 1) * Int64(step))\"," : ""
            rows.append("    [ \(time)\(cells.joined(separator: ", ")) ]")
        }
        out += rows.joined(separator: ",\n")
        out += "\n  ]\n}\n"
        return out
    }

    /// rrdtool's default XML text.
    public func xml(showTime: Bool = false, enumerateColumns: Bool = false) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n\n<xport>\n  <meta>\n"
        out += "    <start>\(start + Int64(step))</start>\n"
        out += "    <end>\(end)</end>\n"
        out += "    <step>\(step)</step>\n"
        out += "    <rows>\(rowCount)</rows>\n"
        out += "    <columns>\(legends.count)</columns>\n"
        out += "    <legend>\n"
        for legend in legends { out += "      <entry>\(legend)</entry>\n" }
        out += "    </legend>\n  </meta>\n  <data>\n"
        let columns = legends.count
        for row in 0..<rowCount {
            out += "    <row>"
            if showTime { out += "<t>\(start + Int64(row + 1) * Int64(step))</t>" }
            for column in 0..<columns {
                let value = values[row * columns + column]
                let tag = enumerateColumns ? "v\(column)" : "v"
                out += "<\(tag)>\(value.isNaN ? "NaN" : CFormat.portableScientific(value))</\(tag)>"
            }
            out += "</row>\n"
        }
        out += "  </data>\n</xport>\n"
        return out
    }
}
