import CRRD
import Foundation
import Grapher
import RoundRobin
import Perfdata
import Store
import Testing

@Suite(.serialized) struct HighchartsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The generated day of Samples/, ingested once.
    static let store: URL = {
        let root = temporaryDirectory("highcharts")
        var options = Store.Options()
        options.synchronous = false
        let store = try! Store(root: root, options: options)
        let folder = repository.appendingPathComponent("Samples/generated")
        let names = try! FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("perfdata.") }
            .sorted { ($0.split(separator: ".").last!, $0) < ($1.split(separator: ".").last!, $1) }
        var samples: [StoreSample] = []
        for name in names {
            for result in SpoolParser.parse([UInt8](try! Data(contentsOf: folder.appendingPathComponent(name)))) {
                guard case .success(let record) = result else { continue }
                for item in record.parsed.items {
                    samples.append(StoreSample(key: SeriesKey(host: record.host, service: record.kind == .service ? record.service : nil, label: item.label), time: record.time, item: item, command: record.checkCommand))
                }
            }
        }
        _ = try! store.apply(samples, now: 1_793_664_000)
        return root
    }()

    static let day = (start: Int64(1_793_577_600), end: Int64(1_793_664_000))

    @Test func exportDocument() throws {
        let export = try HighchartsExport(root: Self.store, host: "win-01.example", service: "Scheduled Tasks", start: Self.day.start, end: Self.day.end, resolution: 60, includeRaw: true)
        let json = try export.json()
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let series = try #require(document["series"] as? [[String: Any]])
        #expect(series.count == 10, "a line and a band for each of the 5 labels")
        for entry in series {
            let data = try #require(entry["data"] as? [[Any]])
            let times = data.map { ($0[0] as! NSNumber).int64Value }
            #expect(times == times.sorted() && Set(times).count == times.count, "ascending x")
            #expect(times.allSatisfy { $0 % 60_000 == 0 }, "milliseconds on the step")
            let width = entry["type"] as? String == "arearange" ? 3 : 2
            #expect(data.allSatisfy { $0.count == width && $0.dropFirst().allSatisfy { $0 is NSNumber || $0 is NSNull } })
        }
        let total = try #require(series.first { $0["name"] as? String == "Total Tasks" })
        let values = (total["data"] as! [[Any]]).compactMap { $0[1] as? Double }
        #expect(values.contains { $0 != $0.rounded() }, "whole-number checks show decimals: the reason for the summary")
        let summary = try #require(document["summary"] as? String)
        #expect(summary.contains("win-01.example / Scheduled Tasks / Total Tasks") && summary.contains("whole numbers"))
        let raw = try #require((document["raw"] as? [String: Any])?["Total Tasks"] as? [[Any]])
        #expect(raw.count > 1000 && raw.allSatisfy { ($0[1] as? Double).map { $0 == $0.rounded() } ?? true })
        let thresholds = try #require((document["thresholds"] as? [String: Any])?["Failed Tasks"] as? [String: Any])
        #expect(((thresholds["crit"] as? [String: Any])?["end"] as? Double) == 1)
    }

    /// The page, drawn by headless Chromium with Highcharts 3.0.7 and with a current Highcharts
    /// (12.4.0), both from PyPI: every series with the expected number of points, and the
    /// tooltip's explanation. A screenshot of each is kept in test-output/.
    @Test(.timeLimit(.minutes(2)), arguments: ["3.0.7", "current"]) func pageDrawsInChromium(highchartsVersion: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let scripts: [String]
        if highchartsVersion == "3.0.7" {
            scripts = [environment["PERFQ_HIGHCHARTS_JS"] ?? Self.repository.appendingPathComponent("test-output/highcharts/highcharts-all.js").path]
        } else {
            let directory = environment["PERFQ_HIGHCHARTS_CURRENT"] ?? Self.repository.appendingPathComponent("test-output/highcharts-current").path
            scripts = [directory + "/highcharts.js", directory + "/highcharts-more.js"]
        }
        guard scripts.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
            Issue.record("\(scripts.joined(separator: ", ")) missing: scripts/test fetches Highcharts from PyPI (PERFQ_HIGHCHARTS_JS, PERFQ_HIGHCHARTS_CURRENT)")
            return
        }
        var export = try HighchartsExport(root: Self.store, host: "web-01.example", service: "Load", start: Self.day.start, end: Self.day.end, resolution: 60, includeRaw: false)
        export.includeExplanations = true
        let output = Self.repository.appendingPathComponent("test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let name = highchartsVersion == "3.0.7" ? "web-01-load" : "web-01-load-highcharts-current"
        let page = output.appendingPathComponent(name + ".html")
        try HighchartsPage.html(export, scripts: scripts.map { "file://" + $0 }).write(to: page, atomically: true, encoding: .utf8)

        func chromium(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
            process.arguments = ["--headless", "--no-sandbox", "--virtual-time-budget=5000"] + arguments + [page.absoluteString]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let dom = try chromium(["--dump-dom"])
        let status = try #require(dom.range(of: "<pre id=\"status\">").map { String(dom[$0.upperBound...].prefix { $0 != "<" }) })
        #expect(status.hasPrefix("drawn"), "\(status)")
        let expected = export.series.first!.average.rowCount
        var lines = status.split(separator: "\n").dropFirst()
        let tooltip = lines.popLast() ?? ""
        #expect(tooltip.hasPrefix("tooltip:") && tooltip.contains("check ") && tooltip.contains("s of the step ending"), "\(tooltip)")
        #expect(lines.count == 6, "\(status)")
        for line in lines {
            #expect(line.hasSuffix("points=\(expected)"), "\(line)")
        }
        let screenshot = output.appendingPathComponent(name + ".png")
        _ = try chromium(["--screenshot=" + screenshot.path, "--window-size=1200,1400"])
        #expect(FileManager.default.fileExists(atPath: screenshot.path))
    }

    /// The exported points are the stored values bit for bit, lines and bands, at one step per
    /// row (where a band's low and high are the average's text copied) and coarser.
    @Test func exportedPointsAreTheStoredValues() throws {
        struct Document: Decodable {
            struct Series: Decodable {
                let data: [[Double?]]
                let label: String
                let type: String
            }
            let series: [Series]
        }
        func bits(_ values: some Sequence<Double?>) -> [UInt64?] { values.map { $0?.bitPattern } }
        func stored(_ values: [Double]) -> [UInt64?] { bits(values.map { $0.isNaN ? nil : $0 }) }
        for (host, service) in [("web-01.example", "Load"), ("win-01.example", "Scheduled Tasks"), ("db-01.example", "Disk /")] {
            for resolution: UInt64 in [60, 300, 1800] {
                let export = try HighchartsExport(root: Self.store, host: host, service: service, start: Self.day.start, end: Self.day.end, resolution: resolution, includeRaw: false)
                // JSONDecoder reads every double back exactly; JSONSerialization does not.
                let document = try JSONDecoder().decode(Document.self, from: Data(export.jsonBytes()))
                for entry in export.series {
                    let line = try #require(document.series.first { $0.label == entry.stored.label && $0.type == "line" })
                    let band = try #require(document.series.first { $0.label == entry.stored.label && $0.type == "arearange" })
                    let times = (0..<entry.average.rowCount).map { Double(entry.average.time(ofRow: $0) * 1000) }
                    #expect(line.data.map { $0[0] } == times)
                    #expect(bits(line.data.map { $0[1] }) == stored(entry.average.values), "\(entry.stored.label) at \(resolution) s: averages")
                    #expect(bits(band.data.map { $0[1] }) == stored(entry.minimum.values), "\(entry.stored.label) at \(resolution) s: lows")
                    #expect(bits(band.data.map { $0[2] }) == stored(entry.maximum.values), "\(entry.stored.label) at \(resolution) s: highs")
                }
            }
        }
    }

    /// Every exported point of several series is explained, the explanation's arithmetic gives
    /// the stored value bit for bit, and librrd fed the same samples stores the same values.
    @Test(arguments: [("web-01.example", "Load"), ("win-01.example", "Scheduled Tasks"), ("web-01.example", "Interface eth0"), ("db-01.example", "Disk /")])
    func everyPointIsExplainedExactly(host: String, service: String) throws {
        for resolution: UInt64 in [60, 300, 1800] {
            var export = try HighchartsExport(root: Self.store, host: host, service: service, start: Self.day.start, end: Self.day.end, resolution: resolution, includeRaw: false)
            export.includeExplanations = true
            let document = try #require(try JSONSerialization.jsonObject(with: Data(export.jsonBytes())) as? [String: Any])
            let explanations = try #require(document["explanations"] as? [String: [[String: Any]]])
            for entry in export.series {
                #expect(explanations[entry.stored.label]?.count == entry.average.rowCount)
                // The arithmetic is checked on the explanations themselves: Foundation's JSON
                // parser on Linux does not read every double back exactly (JSONDecoder does).
                let explainer = try PointExplainer(series: entry.stored)
                var explained = 0
                for row in 0..<entry.average.rowCount {
                    let stored = entry.average.values[row]
                    guard let point = explainer.explain(archive: entry.average.archive, time: entry.average.time(ofRow: row), stored: stored) else {
                        // Only rows before the first journaled sample may lack an explanation.
                        #expect(entry.average.time(ofRow: row) <= Self.day.start + 3600, "\(entry.stored.label) row \(row) unexplained")
                        continue
                    }
                    #expect(point["value"] is Double || stored.isNaN)
                    if point["arithmetic"] == nil {
                        #expect(stored.isNaN && point["why_unknown"] != nil)
                        continue
                    }
                    explained += 1
                    let value = try #require(PointExplainer.recompute(point))
                    #expect(value.bitPattern == stored.bitPattern || (value.isNaN && stored.isNaN), "\(entry.stored.label) at \(entry.average.time(ofRow: row)): \(value) vs stored \(stored)")
                }
                #expect(explained > entry.average.rowCount * 9 / 10)
                try Self.compareWithLibrrd(entry, resolution: resolution)
            }
        }
    }

    /// The same samples through librrd: the same values, bit for bit.
    static func compareWithLibrrd(_ entry: HighchartsExport.Series, resolution: UInt64) throws {
        let file = try RoundRobinFile(path: entry.stored.rrdPath)
        let schema = file.schema
        let source = schema.dataSources[0]
        func bound(_ value: Double) -> String { value.isNaN ? "U" : String(value) }
        var definitions = ["DS:\(source.name):\(source.type.rawValue):\(source.heartbeat):\(bound(source.minimum)):\(bound(source.maximum))"]
        definitions += schema.archives.map { "RRA:\($0.function.rawValue):\($0.xff):\($0.stepsPerRow):\($0.rows)" }
        let samples = try String(contentsOfFile: entry.stored.basePath + ".samples", encoding: .utf8).split(separator: "\n").map { $0.replacingOccurrences(of: " ", with: ":") }
        let path = temporaryDirectory("librrd").appendingPathComponent("x.rrd").path
        let first = Int64(samples[0].split(separator: ":")[0])!
        let copies = definitions.map { UnsafePointer(strdup($0)) }
        defer { copies.forEach { free(UnsafeMutableRawPointer(mutating: $0)) } }
        var argv: [UnsafePointer<CChar>?] = copies + [nil]
        rrd_clear_error()
        #expect(rrd_create_r(path, UInt(schema.step), time_t(first - Int64(schema.step)), Int32(definitions.count), &argv) == 0)
        for sample in samples {
            rrd_clear_error()
            _ = sample.withCString { text -> Int32 in
                var arguments: [UnsafePointer<CChar>?] = [text, nil]
                return rrd_update_r(path, nil, 1, &arguments)
            }
        }
        var start = time_t(entry.average.start + 1)
        var end = time_t(entry.average.end - 1)
        var step = UInt(resolution)
        var count: UInt = 0
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var data: UnsafeMutablePointer<rrd_value_t>?
        rrd_clear_error()
        #expect(rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &count, &names, &data) == 0)
        let rows = Int((end - start) / time_t(step))
        let theirs = Array(UnsafeBufferPointer(start: data, count: rows))
        free(data)
        if let names { free(names[0]); free(names) }
        let ours = try file.fetch(.average, start: Int64(start), end: Int64(end) - 1, resolution: resolution)
        #expect(ours.values.map(\.bitPattern) == theirs.map(\.bitPattern), "\(entry.stored.label): librrd and perfq differ")
    }
}
