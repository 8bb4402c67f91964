import Foundation
import RoundRobin
import Store

/// `perfq list`, `info`, `last` and `fetch`: a store's series for people (text) and for scripts
/// (`json`, `csv`).
public enum SeriesQuery {
    public enum Format: String, Sendable {
        case text, json, csv
    }

    public struct QueryError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func open(_ series: StoredSeries) throws -> RoundRobinFile {
        let file: RoundRobinFile
        do {
            file = try RoundRobinFile(path: series.rrdPath)
        } catch {
            throw QueryError(description: error.message)
        }
        // The store keeps one data source per file; another file put in its place would be
        // read as if its sources were successive rows.
        guard file.schema.dataSources.count == 1 else {
            throw QueryError(description: "\(series.rrdPath) has \(file.schema.dataSources.count) data sources; a store's files have one (perfq rrd fetch reads any file)")
        }
        return file
    }

    static func number(_ value: Double) -> Any {
        value.isFinite ? value : NSNull()
    }

    static func localTime(_ time: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(time)).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted).dateSeparator(.dash).timeSeparator(.colon))
    }

    static func jsonText(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// As a line of its own.
    static func json(_ object: Any) throws -> String {
        try jsonText(object) + "\n"
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// Every series, with its last update and reading.
    public static func list(_ series: [StoredSeries], format: Format) throws -> String {
        var rows: [(StoredSeries, Int64, String)] = []
        for entry in series {
            let file = try open(entry)
            rows.append((entry, file.lastUpdate, file.lastReading(0)))
        }
        switch format {
        case .json:
            return try json(rows.map { entry, time, reading -> [String: Any] in
                ["host": entry.host, "service": entry.service, "label": entry.label, "unit": entry.metadata?.unit ?? "",
                 "last_update": time, "last_value": Double(reading).map(number) ?? NSNull(), "file": entry.rrdPath]
            })
        case .csv:
            return "host,service,label,unit,last_update,last_value\n" + rows.map { entry, time, reading in
                [entry.host, entry.service, entry.label, entry.metadata?.unit ?? "", String(time), reading].map(csvField).joined(separator: ",")
            }.joined(separator: "\n") + (rows.isEmpty ? "" : "\n")
        case .text:
            var lines: [String] = []
            var lastGroup = ""
            for (entry, time, reading) in rows {
                let group = "\(entry.host) / \(entry.service)"
                if group != lastGroup {
                    lines.append(group)
                    lastGroup = group
                }
                let unit = entry.metadata?.unit ?? ""
                lines.append("  \(entry.label) = \(reading)\(unit.isEmpty || reading == "U" ? "" : " " + unit)   (\(localTime(time)))")
            }
            return lines.isEmpty ? "no series\n" : lines.joined(separator: "\n") + "\n"
        }
    }

    /// What is known about one series.
    public static func info(_ series: StoredSeries, format: Format) throws -> String {
        let file = try open(series)
        let source = file.schema.dataSources[0]
        let metadata = series.metadata
        var fields: [(String, Any)] = [
            ("host", series.host), ("service", series.service), ("label", series.label),
            ("unit", metadata?.unit ?? ""), ("check_command", metadata?.checkCommand ?? NSNull()),
            ("type", source.type.rawValue), ("step", file.schema.step), ("heartbeat", source.heartbeat),
            ("archives", file.schema.archives.map { "\($0.function.rawValue) \($0.stepsPerRow)×\(file.schema.step) s × \($0.rows) rows, xff \($0.xff)" }),
            ("warn", metadata?.warning?.raw ?? NSNull()), ("crit", metadata?.critical?.raw ?? NSNull()),
            ("min", metadata?.minimum.map(number) ?? NSNull()), ("max", metadata?.maximum.map(number) ?? NSNull()),
            ("first_sample", metadata?.firstSample ?? NSNull()), ("last_update", file.lastUpdate),
            ("last_value", file.lastReading(0)), ("file", series.rrdPath),
        ]
        switch format {
        case .json:
            return try json(Dictionary(uniqueKeysWithValues: fields))
        case .csv:
            return "field,value\n" + fields.map { csvField($0.0) + "," + csvField(describe($0.1)) }.joined(separator: "\n") + "\n"
        case .text:
            fields = fields.map { ($0.0, ["first_sample", "last_update"].contains($0.0) ? describe($0.1) + timeSuffix($0.1) : $0.1) }
            return fields.map { "\($0.0): \(describe($0.1))" }.joined(separator: "\n") + "\n"
        }
    }

    private static func timeSuffix(_ value: Any) -> String {
        guard let time = value as? Int64 else { return "" }
        return " (\(localTime(time)))"
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case is NSNull: return "-"
        case let list as [String]: return list.joined(separator: "; ")
        default: return "\(value)"
        }
    }

    /// The last update and reading.
    public static func last(_ series: StoredSeries, format: Format) throws -> String {
        let file = try open(series)
        let reading = file.lastReading(0)
        switch format {
        case .json:
            return try json(["time": file.lastUpdate, "value": Double(reading).map(number) ?? NSNull()])
        case .csv:
            return "time,value\n\(file.lastUpdate),\(reading)\n"
        case .text:
            return "\(localTime(file.lastUpdate)) \(reading)\(series.metadata.map { $0.unit.isEmpty ? "" : " " + $0.unit } ?? "")\n"
        }
    }

    /// Consolidated rows, as `rrdtool fetch` chooses and aligns them.
    public static func fetch(_ series: StoredSeries, function: ConsolidationFunction, start: Int64, end: Int64, resolution: UInt64, format: Format) throws -> String {
        let file = try open(series)
        let rows: FetchResult
        do {
            rows = try file.fetch(function, start: start, end: end, resolution: resolution)
        } catch {
            throw QueryError(description: error.message)
        }
        let times = (0..<rows.rowCount).map { rows.time(ofRow: $0) }
        switch format {
        case .json:
            return try json([
                "meta": ["host": series.host, "service": series.service, "label": series.label, "unit": series.metadata?.unit ?? "",
                         "function": function.rawValue, "start": rows.start, "end": rows.end, "step": rows.step],
                "data": zip(times, rows.values).map { [$0.0, number($0.1)] },
            ])
        case .csv:
            return "time,value\n" + zip(times, rows.values).map { "\($0.0),\($0.1.isFinite ? String($0.1) : "")" }.joined(separator: "\n") + "\n"
        case .text:
            let header = "# \(series.host) / \(series.service) / \(series.label): \(function.rawValue) of \(rows.step) s rows"
            return ([header] + zip(times, rows.values).map { "\($0.0)  \(localTime($0.0))  \($0.1.isNaN ? "unknown" : String($0.1))" }).joined(separator: "\n") + "\n"
        }
    }
}
