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

    /// The JSON document: `meta`, `summary`, `series`, `thresholds` and, with `includeRaw`, `raw`.
    public func document() -> [String: Any] {
        var chartSeries: [[String: Any]] = []
        var thresholds: [String: Any] = [:]
        var raw: [String: Any] = [:]
        var summaries: [String] = []
        for entry in series {
            let label = entry.stored.label
            let unit = entry.stored.metadata?.unit ?? ""
            let average = entry.average
            chartSeries.append([
                "name": label, "label": label, "unit": unit, "function": "AVERAGE", "type": "line", "step": average.step,
                "data": (0..<average.rowCount).map { [average.time(ofRow: $0) * 1000, Self.number(average.values[$0])] },
            ])
            // The band pairs the MIN and MAX rows of the same times.
            let lows = Dictionary(uniqueKeysWithValues: (0..<entry.minimum.rowCount).map { (entry.minimum.time(ofRow: $0), entry.minimum.values[$0]) })
            chartSeries.append([
                "name": "\(label) min–max", "label": label, "unit": unit, "function": "MIN/MAX", "type": "arearange", "step": entry.maximum.step,
                "data": (0..<entry.maximum.rowCount).map { row -> [Any] in
                    let time = entry.maximum.time(ofRow: row)
                    return [time * 1000, Self.number(lows[time]), Self.number(entry.maximum.values[row])]
                },
            ])
            if let metadata = entry.stored.metadata {
                func range(_ range: ThresholdRangeDescription?) -> Any { range.map { $0.object } ?? NSNull() }
                thresholds[label] = [
                    "warn": range(metadata.warning.map(ThresholdRangeDescription.init)),
                    "crit": range(metadata.critical.map(ThresholdRangeDescription.init)),
                    "min": Self.number(metadata.minimum), "max": Self.number(metadata.maximum),
                ]
            }
            if includeRaw {
                raw[label] = entry.samples.map { [$0.time * 1000, Self.number($0.value)] }
            }
            summaries.append(ConsolidationSummary(series: entry).text)
        }
        var document: [String: Any] = [
            "meta": ["host": host, "service": service, "start": start, "end": end,
                     "step": series.first?.average.step ?? 0, "function": "AVERAGE"],
            "summary": summaries.joined(separator: "\n\n"),
            "series": chartSeries,
            "thresholds": thresholds,
        ]
        if includeRaw { document["raw"] = raw }
        return document
    }

    public func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: document(), options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
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
