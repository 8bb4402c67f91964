import Foundation
import Grapher
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

    /// The page, drawn by headless Chromium with Highcharts 3.0.7 from PyPI: every series with
    /// the expected number of points. A screenshot is kept in test-output/.
    @Test(.timeLimit(.minutes(2))) func pageDrawsInChromium() throws {
        guard let highcharts = ProcessInfo.processInfo.environment["PERFQ_HIGHCHARTS_JS"], FileManager.default.fileExists(atPath: highcharts) else {
            Issue.record("PERFQ_HIGHCHARTS_JS must name highcharts-all.js (scripts/test fetches it from PyPI)")
            return
        }
        let export = try HighchartsExport(root: Self.store, host: "web-01.example", service: "Load", start: Self.day.start, end: Self.day.end, resolution: 60, includeRaw: false)
        let output = Self.repository.appendingPathComponent("test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let page = output.appendingPathComponent("web-01-load.html")
        try HighchartsPage.html(export, scripts: ["file://" + highcharts]).write(to: page, atomically: true, encoding: .utf8)

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
        let lines = status.split(separator: "\n").dropFirst()
        #expect(lines.count == 6, "\(status)")
        for line in lines {
            #expect(line.hasSuffix("points=\(expected)"), "\(line)")
        }
        _ = try chromium(["--screenshot=" + output.appendingPathComponent("web-01-load.png").path, "--window-size=1200,1400"])
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("web-01-load.png").path))
    }
}
