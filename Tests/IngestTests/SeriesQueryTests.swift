import Foundation
import Grapher
import Perfdata
import RoundRobin
import Store
import Testing

@Suite struct SeriesQueryTests {
    func store() throws -> URL {
        var options = Store.Options()
        options.synchronous = false
        let store = try Store(root: temporaryDirectory("query"), options: options)
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
}
