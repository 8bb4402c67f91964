import Foundation
import RoundRobin
import Testing

/// The rrdtool binary and `perfq rrd` on the same files, ours and librrd's: the same output.
@Suite(.serialized) struct InteropTests {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-interop-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Runs the real rrdtool; returns stdout, or stderr when it failed.
    static func rrdtool(_ arguments: [String]) -> (output: String, failed: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/rrdtool")
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        do { try process.run() } catch { return ("cannot run rrdtool: \(error)", true) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 { return (String(decoding: errorData, as: UTF8.self), true) }
        return (String(decoding: data, as: UTF8.self), false)
    }

    static func ours(_ arguments: [String]) -> (output: String, failed: Bool) {
        let outcome = RRDTool.run(arguments)
        return (outcome.error ?? outcome.output, outcome.error != nil)
    }

    /// Every read command, on a file: the same text from rrdtool and from us.
    static func compareReads(_ path: String, _ scenario: Scenario) -> [String] {
        var commands: [[String]] = [["info", path], ["dump", path], ["dump", "--header", "none", path], ["lastupdate", path], ["first", path], ["last", path]]
        for index in scenario.archives.indices { commands.append(["first", path, "--rraindex", "\(index)"]) }
        for fetch in scenario.fetches {
            commands.append(["fetch", path, fetch.function.rawValue, "-s", "\(fetch.start)", "-e", "\(fetch.end)", "-r", "\(fetch.resolution)"])
            let source = scenario.dataSources.last!.name
            let items = ["DEF:a=\(path):\(scenario.dataSources[0].name):\(fetch.function.rawValue)",
                         "DEF:b=\(path):\(source):\(fetch.function.rawValue)", "XPORT:a:first one", "XPORT:b"]
            commands.append(["xport", "--json", "-s", "\(fetch.start)", "-e", "\(fetch.end)", "--step", "\(fetch.resolution)"] + items)
            commands.append(["xport", "-t", "--enumds", "-s", "\(fetch.start)", "-e", "\(fetch.end)"] + items)
        }
        var problems: [String] = []
        for command in commands {
            let theirs = rrdtool(command)
            let mine = ours(command)
            if theirs.failed != mine.failed || theirs.output != mine.output {
                problems.append("rrdtool \(command.joined(separator: " ")):\n--- rrdtool\n\(theirs.output)\n--- perfq rrd\n\(mine.output)")
            }
        }
        return problems
    }

    @Test func readCommandsMatchRrdtoolOnBothEnginesFiles() throws {
        for seed in UInt64(1)...60 {
            let scenario = Scenario.random(seed: seed)
            let ourPath = Self.directory.appendingPathComponent("ours-\(seed).rrd").path
            let theirPath = Self.directory.appendingPathComponent("theirs-\(seed).rrd").path
            try RoundRobinFile.create(at: ourPath, schema: scenario.schema, start: scenario.start)
            #expect(LibRRD.create(theirPath, step: scenario.step, start: scenario.start, scenario.definitions) == nil)
            do {
                // Closed before rrdtool reads it: our write lock would stop rrdtool, as librrd's does.
                let file = try RoundRobinFile(path: ourPath, writable: true)
                for call in scenario.calls {
                    try? file.update(call.arguments, template: call.template)
                    _ = LibRRD.update(theirPath, template: call.template?.joined(separator: ":"), call.arguments)
                }
            }
            for path in [ourPath, theirPath] {
                let problems = Self.compareReads(path, scenario)
                #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(2).joined(separator: "\n"))")
            }
        }
    }

    @Test func createAndUpdateArgumentsMatchRrdtool() throws {
        let definitions: [[String]] = [
            ["--start", "1700000000", "--step", "60", "DS:load:GAUGE:8460:U:U", "RRA:AVERAGE:0.5:1:2880", "RRA:MAX:0.5:5:2880"],
            ["-b", "1700000000", "-s", "5m", "DS:in:DERIVE:2h:0:U", "DS:t:DCOUNTER:600:U:1e9", "RRA:LAST:0:1h:1d", "RRA:MIN:0.5:1:10"],
            ["--start=1700000123", "DS:x:ABSOLUTE:600:-5.5:100", "RRA:AVERAGE:0.999:3:7"],
            ["--start", "1700000000", "DS:a:GAUGE:0:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "1700000000", "DS:a:GAUGE:120:5:1", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "1700000000", "DS:a:GAUGE:120:U", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "1700000000", "DS:a:FOO:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "1700000000", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:1.5:1:10"],
            ["--start", "1700000000", "DS:a:GAUGE:120:U:U", "RRA:FOO:0.5:1:10"],
            ["--start", "1700000000", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1"],
            ["--start", "1700000000", "DS:a:GAUGE:120:U:U", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "1700000000", "DS:this_name_is_way_too_long:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "1700000000", "--step", "60", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:7m:1d"],
            ["--start", "1700000000", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:0:10"],
            ["--start", "1700000000", "DS:a:GAUGE:120:U:U"],
            ["--start", "1700000000", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "1700000000", "FOO:bar", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["--step", "0", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["--step", "abc", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["--start", "garbage", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
        ]
        let updates = [
            ["1700000060:1"], ["1700000060:1:2"], ["1700000120"], ["abc:1"], ["1700000120:1.5x"], ["1700000120:abc"],
            ["1700000030:5"], ["1700000180:U", "1700000240:0.999", "1700000300.5:12"], ["1700000360:nan", "1700000420:inf"],
        ]
        for (index, arguments) in definitions.enumerated() {
            let theirPath = Self.directory.appendingPathComponent("c\(index).rrd").path
            let ourPath = Self.directory.appendingPathComponent("c\(index)-ours.rrd").path
            let theirs = Self.rrdtool(["create", theirPath] + arguments)
            let mine = Self.ours(["create", ourPath] + arguments)
            #expect(theirs.failed == mine.failed)
            #expect(theirs.output.replacingOccurrences(of: theirPath, with: "F") == mine.output.replacingOccurrences(of: ourPath, with: "F"), "create \(arguments)")
            guard !theirs.failed, !mine.failed else { continue }
            let withoutRows = { (text: String) in text.split(separator: "\n").filter { !$0.contains("cur_row") && !$0.hasPrefix("filename") }.joined(separator: "\n") }
            #expect(withoutRows(Self.rrdtool(["info", theirPath]).output) == withoutRows(Self.ours(["info", ourPath]).output), "info after create \(arguments)")
            for update in updates {
                let theirUpdate = Self.rrdtool(["update", theirPath] + update)
                let ourUpdate = Self.ours(["update", ourPath] + update)
                #expect(theirUpdate.output.replacingOccurrences(of: theirPath, with: "F") == ourUpdate.output.replacingOccurrences(of: ourPath, with: "F"), "update \(update) after create \(arguments)")
            }
            // Dumps show no row pointers, so files that differ only in librrd's random first rows dump alike.
            #expect(Self.rrdtool(["dump", theirPath]).output == Self.rrdtool(["dump", ourPath]).output, "dumps after updates \(arguments)")
        }
    }
}
