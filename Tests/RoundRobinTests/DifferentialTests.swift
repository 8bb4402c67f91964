import Foundation
import RoundRobin
import Testing

/// Random, seeded scenarios run through librrd and through our engine: after every update call
/// the two files must be the same bytes, and every fetch the same doubles.
@Suite(.serialized) struct DifferentialTests {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-differential-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// How the two engines first disagreed, or nil when they agree throughout.
    static func firstMismatch(_ scenario: Scenario) -> String? {
        let theirs = directory.appendingPathComponent("librrd.rrd").path
        let ours = directory.appendingPathComponent("ours.rrd").path
        unlink(theirs)
        unlink(ours)
        if let error = LibRRD.create(theirs, step: scenario.step, start: scenario.start, scenario.definitions) {
            return "librrd refused the create: \(error)"
        }
        let created = [UInt8](FileManager.default.contents(atPath: theirs)!)
        let schema = scenario.schema
        let probe = RoundRobinFile.newFileBytes(schema: schema, start: scenario.start)
        let layout = (probe.count, headerRows: schema.archives.indices.map { index -> UInt64 in
            // librrd picks each archive's first row at random: read its choice.
            let offset = rowPointerOffset(schema, index)
            return created.withUnsafeBytes { $0.load(fromByteOffset: offset, as: UInt64.self) }
        })
        let mine = RoundRobinFile.newFileBytes(schema: schema, start: scenario.start, currentRows: layout.headerRows)
        if let difference = describeDifference(mine, created, schema) {
            return "after create: \(difference)"
        }
        do {
            try RoundRobinFile.create(at: ours, schema: schema, start: scenario.start, currentRows: layout.headerRows)
            let file = try RoundRobinFile(path: ours, writable: true)
            for (index, call) in scenario.calls.enumerated() {
                let theirError = LibRRD.update(theirs, template: call.template?.joined(separator: ":"), call.arguments)?
                    .replacingOccurrences(of: theirs, with: "FILE")
                var ourError: String?
                do {
                    try file.update(call.arguments, template: call.template)
                } catch {
                    ourError = error.message.replacingOccurrences(of: ours, with: "FILE")
                }
                if theirError != ourError {
                    return "update call \(index + 1): librrd said \(theirError ?? "nothing"), we said \(ourError ?? "nothing")"
                }
                let theirBytes = [UInt8](FileManager.default.contents(atPath: theirs)!)
                if let difference = describeDifference(file.bytes, theirBytes, schema) {
                    return "after update call \(index + 1): \(difference)"
                }
            }
            // We also read the file librrd wrote.
            let theirFile = try RoundRobinFile(path: theirs)
            for fetch in scenario.fetches {
                let theirResult = LibRRD.fetch(theirs, function: fetch.function.rawValue, start: fetch.start, end: fetch.end, resolution: fetch.resolution)
                let ourResult: Result<LibRRD.Fetched, LibRRD.RRDFailure>
                do {
                    let result = try file.fetch(fetch.function, start: fetch.start, end: fetch.end, resolution: fetch.resolution)
                    ourResult = .success(LibRRD.Fetched(start: result.start, end: result.end, step: result.step, names: result.dataSourceNames, values: result.values))
                } catch {
                    ourResult = .failure(LibRRD.RRDFailure(message: error.message))
                }
                if theirResult != ourResult {
                    return "fetch \(fetch.function.rawValue) \(fetch.start)…\(fetch.end) r\(fetch.resolution): librrd \(theirResult), ours \(ourResult)"
                }
                if case .success(let expected) = theirResult {
                    let read = try theirFile.fetch(fetch.function, start: fetch.start, end: fetch.end, resolution: fetch.resolution)
                    if read.values.map(\.bitPattern) != expected.values.map(\.bitPattern) || read.start != expected.start {
                        return "fetch from librrd's file \(fetch.function.rawValue) \(fetch.start)…\(fetch.end): we read other values"
                    }
                }
            }
        } catch {
            return "our engine failed: \(error)"
        }
        return nil
    }

    static func rowPointerOffset(_ schema: Schema, _ archive: Int) -> Int {
        let sources = schema.dataSources.count
        let archives = schema.archives.count
        return 128 + 120 * (sources + archives) + 16 + 112 * sources + 80 * sources * archives + 8 * archive
    }

    static func describeDifference(_ ours: [UInt8], _ theirs: [UInt8], _ schema: Schema) -> String? {
        guard ours != theirs else { return nil }
        guard ours.count == theirs.count else { return "sizes differ: ours \(ours.count), librrd \(theirs.count)" }
        let offset = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }!.offset
        let word = offset - offset % 8
        func double(_ bytes: [UInt8]) -> String {
            let value = bytes.withUnsafeBytes { $0.load(fromByteOffset: word, as: Double.self) }
            return "\(value) (0x\(String(value.bitPattern, radix: 16)))"
        }
        let sources = schema.dataSources.count
        let archives = schema.archives.count
        let live = 128 + 120 * (sources + archives)
        let pdp = live + 16
        let cdp = pdp + 112 * sources
        let pointers = cdp + 80 * sources * archives
        let data = pointers + 8 * archives
        let section: String
        switch offset {
        case ..<live: section = "definitions"
        case ..<pdp: section = "live head"
        case ..<cdp: section = "pdp_prep of ds \((offset - pdp) / 112), byte \((offset - pdp) % 112)"
        case ..<pointers:
            let index = (offset - cdp) / 80
            section = "cdp_prep of rra \(index / sources) ds \(index % sources), byte \((offset - cdp) % 80)"
        case ..<data: section = "rra_ptr"
        default: section = "data"
        }
        return "first difference at byte \(offset) (\(section)): ours \(double(ours)), librrd \(double(theirs))"
    }

    /// Shrinks a failing scenario: drops update calls, fetches and archives while it still fails.
    static func shrink(_ scenario: Scenario) -> Scenario {
        var smallest = scenario
        var index = smallest.calls.count - 1
        while index >= 0 {
            var candidate = smallest
            candidate.calls.remove(at: index)
            if firstMismatch(candidate) != nil { smallest = candidate }
            index -= 1
        }
        for keep in (0..<smallest.fetches.count).reversed() {
            var candidate = smallest
            candidate.fetches.remove(at: keep)
            if firstMismatch(candidate) != nil { smallest = candidate }
        }
        for archive in (0..<smallest.archives.count).reversed() where smallest.archives.count > 1 {
            var candidate = smallest
            candidate.archives.remove(at: archive)
            if firstMismatch(candidate) != nil { smallest = candidate }
        }
        return smallest
    }

    static var scenarioCount: Int {
        ProcessInfo.processInfo.environment["PERFQ_DIFFERENTIAL_SCENARIOS"].flatMap(Int.init) ?? 3000
    }

    @Test func randomScenariosMatchLibrrd() {
        var failures = 0
        var readings = 0
        var fetches = 0
        for seed in 1...UInt64(Self.scenarioCount) {
            let scenario = Scenario.random(seed: seed)
            readings += scenario.calls.map(\.arguments.count).reduce(0, +)
            fetches += scenario.fetches.count
            guard let mismatch = Self.firstMismatch(scenario) else { continue }
            failures += 1
            let smallest = Self.shrink(scenario)
            Issue.record("\(Self.firstMismatch(smallest) ?? mismatch)\n\(smallest)")
            if failures >= 3 { break }
        }
        print("differential: \(Self.scenarioCount) scenarios, \(readings) readings, \(fetches) fetches compared with librrd")
        #expect(readings > Self.scenarioCount * 10)
    }
}
