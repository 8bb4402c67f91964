import Foundation
import Perfdata
import RoundRobin
import Store
import Testing

/// A store in a fresh temporary directory.
func temporaryDirectory(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func sample(_ host: String, _ service: String?, _ perfdata: String, at time: Int64, command: String? = "check_x") -> [StoreSample] {
    PerfdataParser.parse(perfdata).items.map {
        StoreSample(key: SeriesKey(host: RawText(host), service: service.map(RawText.init), label: $0.label), time: time, item: $0, command: command.map(RawText.init))
    }
}

@Suite struct SeriesNameTests {
    @Test func escapingIsReversible() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let escaped = SeriesName.escape(bytes)
            #expect(SeriesName.unescape(escaped) == bytes)
            #expect(!escaped.contains("/") && !escaped.hasPrefix(".") && !escaped.utf8.contains(0))
        }
    }

    @Test(arguments: ["..", ".", "../../etc/passwd", "a/b", "/", "\u{0}", ".hidden", "~", "%", "_HOST_", String(repeating: "x", count: 4096), String(repeating: "/..", count: 1000)])
    func hostileNamesStayOneComponent(_ name: String) {
        let escaped = SeriesName.escape(Array(name.utf8))
        #expect(!escaped.isEmpty && escaped != "." && escaped != "..")
        #expect(!escaped.contains("/") && !escaped.hasPrefix("."))
        #expect(escaped.utf8.count <= 200)
    }

    @Test func hostChecksAndAServiceNamedLikeThem() {
        let host = SeriesKey(host: RawText("h"), service: nil, label: RawText("rta"))
        let service = SeriesKey(host: RawText("h"), service: RawText("_HOST_"), label: RawText("rta"))
        #expect(host.relativePath == "h/_HOST_/rta")
        #expect(service.relativePath != host.relativePath)
    }
}

@Suite struct StoreTests {
    func store(_ name: String, _ configure: (inout Store.Options) -> Void = { _ in }) throws -> Store {
        var options = Store.Options()
        options.synchronous = false
        configure(&options)
        return try Store(root: temporaryDirectory(name), options: options)
    }

    func file(_ store: Store, _ path: String) throws -> RoundRobinFile {
        try RoundRobinFile(path: store.root.appendingPathComponent(path + ".rrd").path)
    }

    @Test func firstSampleIsStoredAndReplaysAreSkipped() throws {
        let store = try store("first")
        let base: Int64 = 1_793_577_617
        var outcome = try store.apply(sample("h", "Users", "users=3", at: base), now: base)
        #expect(outcome.updates == 1 && outcome.createdSeries == 1)
        outcome = try store.apply(sample("h", "Users", "users=5", at: base + 60) + sample("h", "Users", "users=5", at: base + 60), now: base)
        #expect(outcome.updates == 1 && outcome.skipped == 1)
        store.closeFiles()
        let rrd = try file(store, "h/Users/users")
        #expect(rrd.lastUpdate == base + 60)
        let rows = try rrd.fetch(.average, start: base - 120, end: base + 60)
        #expect(rows.values.contains(3), "the first sample (3) reached the archive")
        let journal = try String(contentsOf: store.root.appendingPathComponent("h/Users/users.samples"), encoding: .utf8)
        #expect(journal == "\(base) 3\n\(base + 60) 5\n")
    }

    @Test func futureTimesAreRefused() throws {
        let store = try store("future")
        let now: Int64 = 1_793_577_600
        let outcome = try store.apply(sample("h", "s", "a=1", at: now + 7200) + sample("h", "s", "b=1", at: now + 60), now: now)
        #expect(outcome.rejected.count == 1 && outcome.rejected[0].reason.contains("ahead of the clock"))
        #expect(outcome.updates == 1)
    }

    @Test func countersBecomeDeriveWithMinimumZeroAndFractionsAreRounded() throws {
        let store = try store("counter")
        let base: Int64 = 1_793_577_600
        var outcome = try store.apply(sample("h", "IO", "read=12345.5c", at: base), now: base)
        outcome = try store.apply(sample("h", "IO", "read=0.02c", at: base + 60), now: base)
        #expect(outcome.updates == 1 && outcome.rejected.isEmpty)
        store.closeFiles()
        let rrd = try file(store, "h/IO/read")
        #expect(rrd.schema.dataSources[0].type == .derive && rrd.schema.dataSources[0].minimum == 0)
        #expect(rrd.lastReading(0) == "0")
        let metadata = try String(contentsOf: store.root.appendingPathComponent("h/IO/read.json"), encoding: .utf8)
        #expect(metadata.contains("\"type\" : \"DERIVE\"") && metadata.contains("\"unit\" : \"c\""))
    }

    @Test func rulesChooseTheSchema() throws {
        let store = try store("rules") { options in
            var rule = SchemaPolicy.Rule(command: "check_slow")
            rule.step = 300
            var labels = SchemaPolicy.Rule(labelPattern: "^octets")
            labels.type = .counter
            options.policy.rules = [rule, labels]
        }
        let base: Int64 = 1_793_577_600
        _ = try store.apply(sample("h", "Slow", "x=1", at: base, command: "check_slow!a!b") + sample("h", "If", "octets_in=5", at: base), now: base)
        store.closeFiles()
        #expect(try file(store, "h/Slow/x").schema.step == 300)
        #expect(try file(store, "h/If/octets_in").schema.dataSources[0].type == .counter)
        #expect(try file(store, "h/If/octets_in").schema.archives == SchemaPolicy.pnpArchives)
    }

    @Test func metadataFollowsNewerSamplesOnly() throws {
        let store = try store("metadata")
        let base: Int64 = 1_793_577_600
        _ = try store.apply(sample("h", "Disk", "/=5GB;8;9;0;10", at: base), now: base)
        _ = try store.apply(sample("h", "Disk", "/=6GB;80;90;0;100", at: base + 60), now: base)
        _ = try store.apply(sample("h", "Disk", "/=6GB;1;2;0;3", at: base + 30), now: base)
        let text = try String(contentsOf: store.root.appendingPathComponent("h/Disk/%2F.json"), encoding: .utf8)
        #expect(text.contains("\"raw\" : \"80\"") && text.contains("\"max\" : 100"))
        #expect(text.contains("\"first_sample\" : \(base)"))
    }

    @Test func hostileNamesStayInsideTheStore() throws {
        let store = try store("hostile")
        let base: Int64 = 1_793_577_600
        let hostile = ["..", "../..", "/etc", "a/../../b", ".", String(repeating: "n", count: 4096), "x\u{0}y"]
        var samples: [StoreSample] = []
        for (index, name) in hostile.enumerated() {
            let key = SeriesKey(host: RawText(name), service: RawText(name), label: RawText(bytes: Array(name.utf8) + [0xE4]))
            samples.append(StoreSample(key: key, time: base + Int64(index), item: PerfdataParser.parse("x=1").items[0], command: nil))
        }
        let outcome = try store.apply(samples, now: base)
        #expect(outcome.createdSeries == hostile.count)
        let root = store.root.standardizedFileURL.path
        let files = FileManager.default.enumerator(atPath: root)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".rrd") }
        #expect(files.count == hostile.count)
        for file in files {
            #expect(file.split(separator: "/").count == 3, "\(file)")
            #expect(URL(fileURLWithPath: root + "/" + file).standardizedFileURL.path.hasPrefix(root + "/"))
        }
        // Nothing appeared next to the store.
        let parent = store.root.deletingLastPathComponent().path
        #expect(!FileManager.default.fileExists(atPath: parent + "/etc") && !FileManager.default.fileExists(atPath: parent + "/b"))
    }
}
