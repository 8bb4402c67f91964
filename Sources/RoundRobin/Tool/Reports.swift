#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The text rrdtool 1.7.2 prints for `info`, `dump`, `fetch`, `lastupdate`, `first` and `last`,
/// character for character, so scripts that parse rrdtool's output read ours unchanged.
extension RoundRobinFile {
    /// `rrdtool info`: one `key = value` line per field.
    public func infoText(name: String) -> String {
        var lines = [
            "filename = \"\(name)\"",
            "rrd_version = \"000\(version)\"",
            "step = \(schema.step)",
            "last_update = \(lastUpdate)",
            "header_size = \(layout.headerSize)",
        ]
        func value(_ number: Double) -> String { number.isNaN ? "NaN" : CFormat.scientific(number) }
        for (index, source) in schema.dataSources.enumerated() {
            let key = "ds[\(source.name)]"
            lines += [
                "\(key).index = \(index)",
                "\(key).type = \"\(source.type.rawValue)\"",
                "\(key).minimal_heartbeat = \(source.heartbeat)",
                "\(key).min = \(value(source.minimum))",
                "\(key).max = \(value(source.maximum))",
                "\(key).last_ds = \"\(lastReading(index))\"",
                "\(key).value = \(value(double(layout.pdpValue(index))))",
                "\(key).unknown_sec = \(u64(layout.unknownSeconds(index)))",
            ]
        }
        for (index, archive) in schema.archives.enumerated() {
            let key = "rra[\(index)]"
            lines += [
                "\(key).cf = \"\(archive.function.rawValue)\"",
                "\(key).rows = \(archive.rows)",
                "\(key).cur_row = \(currentRow(index))",
                "\(key).pdp_per_row = \(archive.stepsPerRow)",
                "\(key).xff = \(value(archive.xff))",
            ]
            for source in schema.dataSources.indices {
                lines += [
                    "\(key).cdp_prep[\(source)].value = \(value(double(layout.cdpValue(index, source))))",
                    "\(key).cdp_prep[\(source)].unknown_datapoints = \(u64(layout.cdpUnknownPoints(index, source)))",
                ]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public enum DumpHeader: String, Sendable {
        case dtd, xsd, none
    }

    /// `rrdtool dump`: the XML with times in local time, as the `TZ` environment sets it.
    public func dumpText(header: DumpHeader = .dtd) -> String {
        func value(_ number: Double) -> String { number.isNaN ? "NaN" : CFormat.portableScientific(number) }
        var out = ""
        switch header {
        case .dtd:
            out += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE rrd SYSTEM \"https://oss.oetiker.ch/rrdtool/rrdtool.dtd\">\n"
            out += "<!-- Round Robin Database Dump -->\n<rrd>\n"
        case .xsd:
            out += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- Round Robin Database Dump -->\n"
            out += "<rrd xmlns=\"https://oss.oetiker.ch/rrdtool/rrdtool-dump.xml\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
            out += "\txsi:schemaLocation=\"https://oss.oetiker.ch/rrdtool/rrdtool-dump.xml https://oss.oetiker.ch/rrdtool/rrdtool-dump.xsd\">\n"
        case .none:
            out += "<!-- Round Robin Database Dump -->\n<rrd>\n"
        }
        // rrdtool prints 0003 for every version up to 3.
        out += "\t<version>000\(version)</version>\n"
        out += "\t<step>\(schema.step)</step> <!-- Seconds -->\n"
        out += "\t<lastupdate>\(lastUpdate)</lastupdate> <!-- \(Self.localTime(lastUpdate)) -->\n\n"
        for (index, source) in schema.dataSources.enumerated() {
            out += "\t<ds>\n"
            out += "\t\t<name> \(source.name) </name>\n"
            out += "\t\t<type> \(source.type.rawValue) </type>\n"
            out += "\t\t<minimal_heartbeat>\(source.heartbeat)</minimal_heartbeat>\n"
            out += "\t\t<min>\(value(source.minimum))</min>\n"
            out += "\t\t<max>\(value(source.maximum))</max>\n\n"
            out += "\t\t<!-- PDP Status -->\n"
            out += "\t\t<last_ds>\(lastReading(index))</last_ds>\n"
            out += "\t\t<value>\(value(double(layout.pdpValue(index))))</value>\n"
            out += "\t\t<unknown_sec> \(u64(layout.unknownSeconds(index))) </unknown_sec>\n"
            out += "\t</ds>\n\n"
        }
        out += "\t<!-- Round Robin Archives -->\n"
        for (index, archive) in schema.archives.enumerated() {
            let rowStep = Int64(schema.step * archive.stepsPerRow)
            out += "\t<rra>\n"
            out += "\t\t<cf>\(archive.function.rawValue)</cf>\n"
            out += "\t\t<pdp_per_row>\(archive.stepsPerRow)</pdp_per_row> <!-- \(rowStep) seconds -->\n\n"
            out += "\t\t<params>\n\t\t<xff>\(value(archive.xff))</xff>\n\t\t</params>\n"
            out += "\t\t<cdp_prep>\n"
            for source in schema.dataSources.indices {
                out += "\t\t\t<ds>\n"
                out += "\t\t\t<primary_value>\(value(double(layout.cdpPrimary(index, source))))</primary_value>\n"
                out += "\t\t\t<secondary_value>\(value(double(layout.cdpSecondary(index, source))))</secondary_value>\n"
                out += "\t\t\t<value>\(value(double(layout.cdpValue(index, source))))</value>\n"
                out += "\t\t\t<unknown_datapoints>\(u64(layout.cdpUnknownPoints(index, source)))</unknown_datapoints>\n"
                out += "\t\t\t</ds>\n"
            }
            out += "\t\t</cdp_prep>\n"
            out += "\t\t<database>\n"
            let rows = Int64(archive.rows)
            let newest = lastUpdate - lastUpdate % rowStep
            let current = Int64(currentRow(index))
            let stored = archiveValues(index)
            for age in stride(from: rows - 1, through: 0, by: -1) {
                let time = newest - age * rowStep
                let physical = Int(((current - age) % rows + rows) % rows)
                out += "\t\t\t<!-- \(Self.localTime(time)) / \(time) --> <row>"
                for source in schema.dataSources.indices {
                    out += "<v>\(value(stored[physical * schema.dataSources.count + source]))</v>"
                }
                out += "</row>\n"
            }
            out += "\t\t</database>\n\t</rra>\n"
        }
        out += "</rrd>\n"
        return out
    }

    /// `rrdtool lastupdate`.
    public func lastUpdateText() -> String {
        var out = schema.dataSources.map { " \($0.name)" }.joined() + "\n\n"
        out += CFormat.format("%10lu:", Int(lastUpdate)) + schema.dataSources.indices.map { " \(lastReading($0))" }.joined() + "\n"
        return out
    }

    /// The time of the oldest row of an archive (`rrdtool first`).
    public func firstTime(archive: Int) throws(RRDError) -> Int64 {
        guard schema.archives.indices.contains(archive) else { throw RRDError("invalid rraindex number") }
        let rowStep = Int64(schema.step * schema.archives[archive].stepsPerRow)
        return lastUpdate - lastUpdate % rowStep - Int64(schema.archives[archive].rows - 1) * rowStep
    }

    static func localTime(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S %Z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension FetchResult {
    /// `rrdtool fetch`'s text: names right-aligned in 20 columns, then `time: value …` rows.
    public var text: String {
        let names = dataSourceNames.map { String(repeating: " ", count: max(0, 20 - $0.utf8.count)) + $0 }
        var out = "           " + names.joined() + "\n\n"
        let sources = dataSourceNames.count
        for row in 0..<rowCount {
            out += CFormat.format("%10lu:", Int(time(ofRow: row)))
            for source in 0..<sources {
                out += " " + CFormat.scientific(values[row * sources + source])
            }
            out += "\n"
        }
        return out
    }
}
