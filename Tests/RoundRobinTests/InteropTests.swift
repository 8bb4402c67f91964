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

/// Cases the first review of `perfq rrd` found, each compared with the rrdtool binary.
@Suite(.serialized) struct ReviewedRRDToolTests {
    static let directory = InteropTests.directory

    /// Runs the same commands with rrdtool and perfq rrd, each on its own file, and compares
    /// everything they print.
    static func compare(_ commands: [[String]], file: String) {
        let theirs = directory.appendingPathComponent("t-" + file).path
        let ours = directory.appendingPathComponent("o-" + file).path
        unlink(theirs)
        unlink(ours)
        for command in commands {
            let a = InteropTests.rrdtool(command.map { $0 == "FILE" ? theirs : $0 })
            let b = InteropTests.ours(command.map { $0 == "FILE" ? ours : $0 })
            #expect(a.failed == b.failed, "\(command)")
            // librrd picks each archive's first row at random; nothing else may differ.
            func normalized(_ text: String, _ path: String) -> String {
                text.replacingOccurrences(of: path, with: "FILE").split(separator: "\n", omittingEmptySubsequences: false)
                    .filter { !$0.contains("cur_row") }.joined(separator: "\n")
            }
            #expect(normalized(a.output, theirs) == normalized(b.output, ours), "\(command)")
        }
    }

    @Test func dumpNumbersAsLibrrdFormatsThem() {
        let base = 1_700_000_040
        var commands = [["create", "FILE", "--start", "\(base - 60)", "--step", "60", "DS:g:GAUGE:120:U:U", "RRA:LAST:0.5:1:10", "RRA:AVERAGE:0.5:1:10"]]
        for (index, value) in ["100000000005", "12345678901.5", "-0.0", "4.94e-324", "0.999", "-7.75e-5", "1e300", "776.15834313555"].enumerated() {
            commands.append(["update", "FILE", "\(base + 60 * index):\(value)"])
        }
        commands += [["dump", "FILE"], ["xport", "--json", "-s", "\(base - 60)", "-e", "\(base + 600)", "DEF:a=FILE:g:LAST", "XPORT:a"], ["fetch", "FILE", "LAST", "-s", "\(base - 60)", "-e", "\(base + 600)"]]
        Self.compare(commands, file: "format.rrd")
    }

    @Test func countersAfterAGapAndJunkReadings() {
        Self.compare([
            ["create", "FILE", "--start", "1700000000", "--step", "60", "DS:x:COUNTER:120:U:U", "DS:d:DERIVE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["update", "FILE", "1700000010:10:10", "1700000300:5.7:-5.7", "1700000360:20:20", "1700000420:30:30"],
            ["fetch", "FILE", "AVERAGE", "-s", "1700000000", "-e", "1700000500"], ["dump", "FILE"],
        ], file: "gap.rrd")
        Self.compare([
            ["create", "FILE", "--start", "1700000000", "--step", "60", "DS:a:DCOUNTER:120:U:U", "DS:b:DDERIVE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["update", "FILE", "1700000010:abc:xyz"], ["update", "FILE", "1700000070:5:6"], ["update", "FILE", "1700000130:inf:nan"],
            ["update", "FILE", "1700000190:7:8"], ["dump", "FILE"],
        ], file: "junk.rrd")
    }

    @Test func argumentsAtTheEdges() {
        Self.compare([
            ["create", "FILE", "--start", "1700000000", "--step", "60", "DS:a:GAUGE:120:0:1234567890123456789", "DS:b:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10"],
            ["info", "FILE"],
            ["update", "FILE", "1e30:1:2"], ["update", "FILE", "nan:1:2"], ["update", "FILE", "1700000070@1:2"],
            ["update", "FILE", "-t", "a:b:a", "1700000130:1:2:3"], ["update", "FILE", "-t", "a:", "1700000130:1:2"],
            ["update", "FILE", "--", "1700000190:3:4"],
            ["fetch", "FILE", "AVERAGE", "-s", "1700000060", "-e", "1700000060"],
            ["fetch", "FILE", "AVERAGE", "-r", "10000000000000000000", "-s", "1700000000", "-e", "1700000300"],
            ["xport", "-s", "1700000300", "-e", "1700000000", "DEF:a=FILE:a:AVERAGE", "XPORT:a"],
            ["lastupdate", "FILE"],
            ["create", "FILE", "--start", "1700000000", "DS:a:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10:extra"],
        ], file: "edges.rrd")
    }

    @Test func xportOfFilesWithDifferentSteps() throws {
        let a = Self.directory.appendingPathComponent("step-a.rrd").path
        let b = Self.directory.appendingPathComponent("step-b.rrd").path
        for (path, step) in [(a, 1800), (b, 3600)] {
            unlink(path)
            _ = InteropTests.rrdtool(["create", path, "--start", "1699990000", "--step", "\(step)", "DS:v:GAUGE:\(step * 2):U:U", "RRA:AVERAGE:0.5:1:50"])
            let updates = (1...12).map { "\(1699990000 + $0 * 1700):\($0)" }
            _ = InteropTests.rrdtool(["update", path] + updates)
        }
        for arguments in [["--json"], []] {
            let command = ["xport"] + arguments + ["-s", "1699990000", "-e", "1700010000", "DEF:a=\(a):v:AVERAGE", "DEF:b=\(b):v:AVERAGE", "XPORT:a", "XPORT:b:hourly"]
            #expect(InteropTests.rrdtool(command).output == InteropTests.ours(command).output)
        }
    }

    /// A damaged file gives an error, never a crash: every field of the header, patched.
    @Test(.timeLimit(.minutes(2))) func damagedHeadersNeverCrash() throws {
        let perfq = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/perfq").path
        let original = Self.directory.appendingPathComponent("damaged-original.rrd").path
        unlink(original)
        _ = InteropTests.rrdtool(["create", original, "--start", "1700000000", "--step", "60", "DS:a:GAUGE:120:U:U", "DS:b:COUNTER:120:U:U", "RRA:AVERAGE:0.5:1:10", "RRA:MAX:0.5:5:4"])
        let bytes = [UInt8](FileManager.default.contents(atPath: original)!)
        let header = 1184
        let damaged = Self.directory.appendingPathComponent("damaged.rrd").path
        let patterns: [UInt64] = [0, 1, 1 << 62, UInt64.max, 1 << 63, 0x7FF8_0000_0000_0000]
        var runs = 0
        for offset in stride(from: 24, to: header, by: 8) {
            for pattern in patterns {
                var patched = bytes
                withUnsafeBytes(of: pattern.littleEndian) { patched.replaceSubrange(offset..<(offset + 8), with: $0) }
                #expect(FileManager.default.createFile(atPath: damaged, contents: Data(patched)))
                for command in [["info", damaged], ["dump", damaged], ["fetch", damaged, "AVERAGE", "-s", "1699990000", "-e", "1700000600"], ["first", damaged], ["update", damaged, "1700000100:1:2"]] {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: perfq)
                    process.arguments = ["rrd"] + command
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    try process.run()
                    process.waitUntilExit()
                    runs += 1
                    #expect(process.terminationReason == .exit, "perfq rrd \(command[0]) crashed with the 8 bytes at \(offset) set to \(pattern)")
                }
            }
        }
        #expect(runs > 1000)
    }
}
