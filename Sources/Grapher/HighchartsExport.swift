import Foundation
import Perfdata
import RoundRobin
import Store

/// A host's service as Highcharts draws it: per label an average line and a min/max band, with
/// thresholds, the raw samples on request, and a plain-words account of why the values have
/// decimals.
public struct HighchartsExport {
    public struct Series {
        public var stored: StoredSeries
        public var average: FetchResult
        public var minimum: FetchResult
        public var maximum: FetchResult
        public var samples: [(time: Int64, value: Double?)]
    }

    public var host: String
    public var service: String
    public var start: Int64
    public var end: Int64
    public var series: [Series]
    public var includeRaw: Bool
    /// Adds `explanations`: for every point of each average line, where its value came from.
    public var includeExplanations = false

    /// Reads every label of `host`/`service` (or just `label`) for the window.
    public init(root: URL, host: String, service: String, label: String? = nil, start: Int64, end: Int64, resolution: UInt64, includeRaw: Bool) throws {
        let stored = StoreCatalog.series(in: root, host: host, service: service).filter { label == nil || $0.label == label }
        guard !stored.isEmpty else {
            throw SeriesQuery.QueryError(description: "no series \(host) / \(service)\(label.map { " / " + $0 } ?? "") in \(root.path) (perfq list shows what there is)")
        }
        self.host = host
        self.service = service
        self.start = start
        self.end = end
        self.includeRaw = includeRaw
        series = try stored.map { entry in
            let file = try SeriesQuery.open(entry)
            do {
                return Series(
                    stored: entry,
                    average: try file.fetch(.average, start: start, end: end, resolution: resolution),
                    minimum: try file.fetch(.minimum, start: start, end: end, resolution: resolution),
                    maximum: try file.fetch(.maximum, start: start, end: end, resolution: resolution),
                    samples: Self.samples(entry, from: start, to: end))
            } catch let error as RRDError {
                throw SeriesQuery.QueryError(description: "\(entry.rrdPath): \(error.message)")
            }
        }
    }

    /// Every journaled sample, with the reading as the engine was given it.
    static func rawSamples(_ series: StoredSeries) -> [(time: Int64, text: String)] {
        guard let data = FileManager.default.contents(atPath: series.basePath + ".samples") else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 1)
            guard parts.count == 2, let time = Int64(String(decoding: parts[0], as: UTF8.self)) else { return nil }
            return (time, String(decoding: parts[1], as: UTF8.self))
        }
    }

    /// The journaled raw samples in the window.
    static func samples(_ series: StoredSeries, from start: Int64, to end: Int64) -> [(time: Int64, value: Double?)] {
        guard let data = FileManager.default.contents(atPath: series.basePath + ".samples") else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 1)
            guard parts.count == 2, let time = Int64(String(decoding: parts[0], as: UTF8.self)), time >= start, time <= end else { return nil }
            return (time, Double(String(decoding: parts[1], as: UTF8.self)))
        }
    }

    static func number(_ value: Double?) -> Any {
        guard let value, value.isFinite else { return NSNull() }
        return value
    }

    /// The JSON document: `meta`, `raw` (with `includeRaw`), `series`, `summary`, `thresholds`.
    /// The point arrays are written directly (a year of 5-minute points is 300,000 numbers);
    /// the small parts go through JSONSerialization.
    public func json() throws -> String {
        String(decoding: try jsonBytes(), as: UTF8.self)
    }

    /// The same document as UTF-8 bytes, built without intermediate strings.
    public func jsonBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        // About 32 bytes a point of a line and 48 of a band: one allocation for the whole document.
        out.reserveCapacity(series.reduce(4096) { $0 + $1.average.rowCount * 32 + $1.maximum.rowCount * 48 })
        out += ("{\"meta\":" + (try Self.serialize([
            "host": host, "service": service, "start": start, "end": end,
            "step": series.first?.average.step ?? 0, "function": "AVERAGE",
        ] as [String: Any]))).utf8
        if includeRaw {
            out += ",\"raw\":{".utf8
            out += try series.map { entry in
                try Self.serialize(entry.stored.label) + ":[" + entry.samples.map { "[\($0.time * 1000),\(Self.text($0.value))]" }.joined(separator: ",") + "]"
            }.joined(separator: ",").utf8
            out += "}".utf8
        }
        out += ",\"series\":[".utf8
        var first = true
        for entry in series {
            let label = entry.stored.label
            let unit = entry.stored.metadata?.unit ?? ""
            let average = entry.average
            let minimum = entry.minimum
            let maximum = entry.maximum
            // MIN and MAX normally come from archives of the same step: rows pair up by index.
            let aligned = minimum.start == maximum.start && minimum.step == maximum.step && minimum.rowCount == maximum.rowCount
            let lows = aligned ? [:] : Dictionary(uniqueKeysWithValues: (0..<minimum.rowCount).map { (minimum.time(ofRow: $0), minimum.values[$0]) })
            for band in [false, true] {
                if !first { out += ",".utf8 }
                first = false
                let source = band ? maximum : average
                out += "{\"data\":[".utf8
                for row in 0..<source.rowCount {
                    let time = source.time(ofRow: row)
                    if row > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(UInt8(ascii: "["))
                    Self.appendInteger(time * 1000, to: &out)
                    out.append(UInt8(ascii: ","))
                    if band {
                        Self.appendNumber(aligned ? minimum.values[row] : lows[time], to: &out)
                        out.append(UInt8(ascii: ","))
                    }
                    Self.appendNumber(source.values[row], to: &out)
                    out.append(UInt8(ascii: "]"))
                }
                var fields = "],\"function\":" + (band ? "\"MIN/MAX\"" : "\"AVERAGE\"")
                fields += ",\"label\":" + (try Self.serialize(label))
                fields += ",\"name\":" + (try Self.serialize(band ? label + " min–max" : label))
                fields += ",\"step\":\((band ? maximum : average).step)"
                fields += ",\"type\":" + (band ? "\"arearange\"" : "\"line\"")
                fields += ",\"unit\":" + (try Self.serialize(unit)) + "}"
                out += fields.utf8
            }
        }
        out += "]".utf8
        if includeExplanations {
            var explanations: [String: Any] = [:]
            for entry in series {
                let explainer = try PointExplainer(series: entry.stored)
                let average = entry.average
                explanations[entry.stored.label] = (0..<average.rowCount).map { row -> Any in
                    explainer.explain(archive: average.archive, time: average.time(ofRow: row), stored: average.values[row])
                        ?? ["time": average.time(ofRow: row), "why_not": "the journal (from \(explainer.journalStart.map(String.init) ?? "nothing")) does not reach back far enough to reproduce this value"]
                }
            }
            out += (",\"explanations\":" + (try Self.serialize(explanations))).utf8
        }
        out += (",\"summary\":" + (try Self.serialize(series.map { ConsolidationSummary(series: $0).text }.joined(separator: "\n\n")))).utf8
        var thresholds: [String: Any] = [:]
        for entry in series {
            guard let metadata = entry.stored.metadata else { continue }
            let warn: Any = metadata.warning.map { ThresholdRangeDescription($0).object } ?? NSNull()
            let crit: Any = metadata.critical.map { ThresholdRangeDescription($0).object } ?? NSNull()
            thresholds[entry.stored.label] = [
                "warn": warn, "crit": crit,
                "min": Self.number(metadata.minimum), "max": Self.number(metadata.maximum),
            ] as [String: Any]
        }
        out += (",\"thresholds\":" + (try Self.serialize(thresholds)) + "}\n").utf8
        return out
    }

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    static func appendNumber(_ value: Double?, to bytes: inout [UInt8]) {
        guard let value, value.isFinite else {
            bytes.append(contentsOf: "null".utf8)
            return
        }
        if value == value.rounded() && value.magnitude < 1e15 {
            appendInteger(Int64(value), to: &bytes)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    /// A number as JSON: `null` for unknown and infinities (JSON has neither).
    static func text(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return value == value.rounded() && value.magnitude < 1e15 ? String(Int64(value)) : String(value)
    }

    static func serialize(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}

/// A threshold range as JSON.
struct ThresholdRangeDescription {
    var raw: String
    var start: Double?
    var end: Double?
    var inside: Bool

    init(_ range: Perfdata.ThresholdRange) {
        raw = range.raw
        start = range.start
        end = range.end
        inside = range.alertsInside
    }

    var object: [String: Any] {
        ["raw": raw, "start": HighchartsExport.number(start), "end": HighchartsExport.number(end), "inside": inside]
    }
}
