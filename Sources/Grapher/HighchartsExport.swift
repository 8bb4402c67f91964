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

    /// The JSON document: `meta`, `raw` (with `includeRaw`), `series`, `summary`, `thresholds`.
    public func json() throws -> String {
        String(decoding: try jsonBytes(), as: UTF8.self)
    }

    /// The same document as UTF-8 bytes.
    public func jsonBytes() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try write { bytes += $0 }
        return bytes
    }

    /// Hands the same document to `output` in parts, in order. The point arrays (a year of
    /// 5-minute points is 300,000 numbers) are written on every core; of the rest only the
    /// explanations go through JSONSerialization.
    public func write(to output: (UnsafeRawBufferPointer) throws -> Void) throws {
        var head = "{\"meta\":" + JSONText.object([
            ("end", "\(end)"), ("function", "\"AVERAGE\""), ("host", JSONText.string(host)),
            ("service", JSONText.string(service)), ("start", "\(start)"), ("step", "\(series.first?.average.step ?? 0)"),
        ])
        if includeRaw {
            head += ",\"raw\":{" + series.map { entry in
                JSONText.string(entry.stored.label) + ":" + String(decoding: Self.rawPoints(entry.samples), as: UTF8.self)
            }.joined(separator: ",") + "}"
        }
        var parts: [StretchPipeline.Part] = [.text(Array((head + ",\"series\":[").utf8))]
        for (index, entry) in series.enumerated() {
            let stretches = PointStretch.split(entry)
            for band in [false, true] {
                parts.append(.text(Array(((index > 0 || band ? "," : "") + "{\"data\":[").utf8)))
                parts += (band ? stretches.band : stretches.line).map { .points($0) }
                parts.append(.text(Array(fields(of: entry, band: band).utf8)))
            }
        }
        var tail = "]"
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
            tail += ",\"explanations\":" + (try SeriesQuery.jsonText(explanations))
        }
        tail += ",\"summary\":" + JSONText.string(series.map { ConsolidationSummary(series: $0).text }.joined(separator: "\n\n"))
        var thresholds: [String: String] = [:]
        for entry in series {
            guard let metadata = entry.stored.metadata else { continue }
            thresholds[entry.stored.label] = JSONText.object([
                ("crit", metadata.critical.map { ThresholdRangeDescription($0).json } ?? "null"),
                ("max", JSONText.number(metadata.maximum)), ("min", JSONText.number(metadata.minimum)),
                ("warn", metadata.warning.map { ThresholdRangeDescription($0).json } ?? "null"),
            ])
        }
        tail += ",\"thresholds\":" + JSONText.object(thresholds.sorted { $0.key < $1.key }) + "}\n"
        parts.append(.text(Array(tail.utf8)))
        try StretchPipeline.write(parts, to: output)
    }

    /// What follows a series' points: the end of its array and its other members.
    private func fields(of entry: Series, band: Bool) -> String {
        let label = entry.stored.label
        return "],\"function\":" + (band ? "\"MIN/MAX\"" : "\"AVERAGE\"")
            + ",\"label\":" + JSONText.string(label)
            + ",\"name\":" + JSONText.string(band ? label + " min–max" : label)
            + ",\"step\":\((band ? entry.maximum : entry.average).step)"
            + ",\"type\":" + (band ? "\"arearange\"" : "\"line\"")
            + ",\"unit\":" + JSONText.string(entry.stored.metadata?.unit ?? "") + "}"
    }

    /// Raw samples as `[[ms,y],…]`.
    static func rawPoints(_ samples: [(time: Int64, value: Double?)]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: JSONTextWriter.maximumLength(ofNumbers: samples.count, integers: samples.count, punctuation: 4 * samples.count + 2)) { buffer, count in
            var writer = JSONTextWriter(at: buffer.baseAddress!)
            writer.write(UInt8(ascii: "["))
            for (index, sample) in samples.enumerated() {
                if index > 0 { writer.write(UInt8(ascii: ",")) }
                writer.write(UInt8(ascii: "["))
                writer.write(milliseconds: sample.time)
                writer.write(UInt8(ascii: ","))
                writer.write(sample.value)
                writer.write(UInt8(ascii: "]"))
            }
            writer.write(UInt8(ascii: "]"))
            count = writer.position - buffer.baseAddress!
        }
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

    var json: String {
        JSONText.object([("end", JSONText.number(end)), ("inside", inside ? "true" : "false"), ("raw", JSONText.string(raw)), ("start", JSONText.number(start))])
    }
}
