import Foundation
import Grapher
import Perfdata
import RoundRobin
import Store
import Testing

@Suite struct SeriesQueryTests {
    func emptyStore(_ name: String) throws -> Store {
        var options = Store.Options()
        options.synchronous = false
        return try Store(root: temporaryDirectory(name), options: options)
    }

    func store() throws -> URL {
        let store = try emptyStore("query")
        let base: Int64 = 1_793_577_600
        for minute in 0..<10 {
            let time = base + Int64(minute * 60)
            var samples = sample("web-01", "Disk /var", "/var=\(40 + minute)%;80;90;0;100", at: time)
            samples += sample("web-01", nil, "rta=0.5ms", at: time)
            let latin1 = PerfdataParser.parse([UInt8]("'temp".utf8) + [0xE4] + [UInt8]("'=21C".utf8)).items
            samples += latin1.map { StoreSample(key: SeriesKey(host: RawText("win"), service: RawText("Temp"), label: $0.label), time: time, item: $0, command: nil) }
            _ = try store.apply(samples, now: time)
        }
        return store.root
    }

    @Test func listFindAndFetch() throws {
        let root = try store()
        let all = StoreCatalog.series(in: root)
        #expect(all.map(\.label) == ["/var", "rta", "tempä"])
        #expect(all.map(\.service) == ["Disk /var", "_HOST_", "Temp"])
        let disk = try #require(StoreCatalog.find(in: root, host: "web-01", service: "Disk /var", label: "/var"))
        #expect(StoreCatalog.find(in: root, host: "win", service: "Temp", label: "tempä") != nil)
        #expect(StoreCatalog.find(in: root, host: "web-01", service: "_HOST_", label: "rta") != nil)

        let json = try SeriesQuery.fetch(disk, function: .average, start: 1_793_577_600, end: 1_793_578_080, resolution: 60, format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let data = try #require(object["data"] as? [[Any]])
        let values = data.compactMap { $0[1] as? Double }
        // Samples on exact minutes: every step holds the sample that ended it.
        #expect(values.contains(45) && values.allSatisfy { $0 >= 40 && $0 <= 49 })
        #expect((object["meta"] as? [String: Any])?["unit"] as? String == "%")

        let list = try SeriesQuery.list(all, format: .csv)
        #expect(list.split(separator: "\n").count == 4)
        #expect(list.contains("web-01,Disk /var,/var,%,1793578140,49"))
        #expect(try SeriesQuery.last(disk, format: .text).contains("49 %"))
    }

    /// Inputs that broke the export and page: a label that would end the page's data script, a
    /// reading so large that its amount over a step is infinite, a metadata file saying step 0,
    /// and a file of two data sources where the store keeps one.
    @Test func awkwardSeriesGetAnAnswer() throws {
        let store = try emptyStore("awkward")
        let base: Int64 = 1_793_577_600
        for minute in 0..<10 {
            let time = base + Int64(minute * 60)
            _ = try store.apply(sample("h", "S", "'<!--<script>'=\(minute) huge=\(minute % 2 == 0 ? "1.7976931348623157e308" : "1")", at: time), now: time)
        }
        let root = store.root
        var page = try HighchartsExport(root: root, host: "h", service: "S", start: base, end: base + 600, resolution: 60, includeRaw: true)
        page.includeExplanations = true
        let html = try HighchartsPage.html(page)
        let inline = try #require(html.components(separatedBy: "<script id=\"perfq-data\" type=\"application/json\">").last?.components(separatedBy: "</script>").first)
        #expect(!inline.contains("<"), "the page's data holds no '<' that could end or hide its script")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(inline.utf8)) as? [String: Any])
        #expect((document["series"] as? [[String: Any]])?.contains { $0["label"] as? String == "<!--<script>" } == true)
        #expect((document["explanations"] as? [String: Any])?["huge"] != nil, "an infinite amount is written as null, not refused")

        let huge = try #require(StoreCatalog.find(in: root, host: "h", service: "S", label: "huge"))
        let metadataPath = huge.basePath + ".json"
        var metadata = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metadataPath))) as? [String: Any])
        metadata["step"] = 0
        try JSONSerialization.data(withJSONObject: metadata).write(to: URL(fileURLWithPath: metadataPath))
        let summary = try HighchartsExport(root: root, host: "h", service: "S", label: "huge", start: base, end: base + 600, resolution: 60, includeRaw: false).json()
        #expect(summary.contains("\"summary\""))

        let schema = Schema(step: 60, dataSources: ["a", "b"].map { DataSource(name: $0, type: .gauge, heartbeat: 120) }, archives: [Archive(function: .average, xff: 0.5, stepsPerRow: 1, rows: 10)])
        try FileManager.default.removeItem(atPath: huge.rrdPath)
        try RoundRobinFile.create(at: huge.rrdPath, schema: schema, start: base)
        #expect(throws: SeriesQuery.QueryError.self) {
            _ = try HighchartsExport(root: root, host: "h", service: "S", label: "huge", start: base, end: base + 600, resolution: 60, includeRaw: false)
        }
    }
}
