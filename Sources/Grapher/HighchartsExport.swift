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
    public func json() throws -> String {
        String(decoding: try jsonBytes(), as: UTF8.self)
    }

    /// The same document as UTF-8 bytes.
    public func jsonBytes() throws -> [UInt8] {
        let pieces = try jsonPieces()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
        for piece in pieces { bytes += piece }
        return bytes
    }

    /// The same document in pieces, to be written out one after the other. The point arrays
    /// (a year of 5-minute points is 300,000 numbers) are written on every core, straight into
    /// their pieces; the small parts go through JSONSerialization.
    public func jsonPieces() throws -> [[UInt8]] {
        var head = "{\"meta\":" + (try Self.serialize([
            "host": host, "service": service, "start": start, "end": end,
            "step": series.first?.average.step ?? 0, "function": "AVERAGE",
        ] as [String: Any]))
        if includeRaw {
            head += ",\"raw\":{" + (try series.map { entry in
                try Self.serialize(entry.stored.label) + ":" + String(decoding: Self.rawPoints(entry.samples), as: UTF8.self)
            }.joined(separator: ",")) + "}"
        }
        var pieces = [Array((head + ",\"series\":[").utf8)]
        // Each stretch of points gets an empty piece, filled in below.
        var stretches: [(piece: Int, stretch: PointStretch)] = []
        for (index, entry) in series.enumerated() {
            for band in [false, true] {
                pieces.append(Array(((index > 0 || band ? "," : "") + "{\"data\":[").utf8))
                for stretch in PointStretch.split(entry, band: band) {
                    stretches.append((pieces.count, stretch))
                    pieces.append([])
                }
                pieces.append(Array(try fields(of: entry, band: band).utf8))
            }
        }
        // Each thread initializes only its own elements.
        nonisolated(unsafe) let texts = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: stretches.count)
        defer { texts.deallocate() }
        let work = stretches.map(\.stretch)
        DispatchQueue.concurrentPerform(iterations: work.count) { index in
            (texts.baseAddress! + index).initialize(to: work[index].text())
        }
        for (index, stretch) in stretches.enumerated() {
            pieces[stretch.piece] = (texts.baseAddress! + index).move()
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
            tail += ",\"explanations\":" + (try Self.serialize(explanations))
        }
        tail += ",\"summary\":" + (try Self.serialize(series.map { ConsolidationSummary(series: $0).text }.joined(separator: "\n\n")))
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
        tail += ",\"thresholds\":" + (try Self.serialize(thresholds)) + "}\n"
        pieces.append(Array(tail.utf8))
        return pieces
    }

    /// What follows a series' points: the end of its array and its other members.
    private func fields(of entry: Series, band: Bool) throws -> String {
        let label = entry.stored.label
        return "],\"function\":" + (band ? "\"MIN/MAX\"" : "\"AVERAGE\"")
            + ",\"label\":" + (try Self.serialize(label))
            + ",\"name\":" + (try Self.serialize(band ? label + " min–max" : label))
            + ",\"step\":\((band ? entry.maximum : entry.average).step)"
            + ",\"type\":" + (band ? "\"arearange\"" : "\"line\"")
            + ",\"unit\":" + (try Self.serialize(entry.stored.metadata?.unit ?? "")) + "}"
    }

    /// Raw samples as `[[ms,y],…]`.
    static func rawPoints(_ samples: [(time: Int64, value: Double?)]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: JSONTextWriter.maximumLength(ofNumbers: samples.count, integers: samples.count, punctuation: 4 * samples.count + 2)) { buffer, count in
            var writer = JSONTextWriter(at: buffer.baseAddress!)
            writer.write(UInt8(ascii: "["))
            for (index, sample) in samples.enumerated() {
                if index > 0 { writer.write(UInt8(ascii: ",")) }
                writer.write(UInt8(ascii: "["))
                writer.write(sample.time * 1000)
                writer.write(UInt8(ascii: ","))
                writer.write(sample.value)
                writer.write(UInt8(ascii: "]"))
            }
            writer.write(UInt8(ascii: "]"))
            count = writer.position - buffer.baseAddress!
        }
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
