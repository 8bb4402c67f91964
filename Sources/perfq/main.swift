import Foundation
import Grapher
import Ingest
import Store
import Perfdata
import RoundRobin

let usage = """
    usage: perfq <command> [arguments]

    commands:
      parse --perfdata STRING   parse one perfdata string, print its items as JSON
      parse FILE|-              parse a bulk perfdata spool file, one JSON line per record
      demo [--samples DIR] [--workspace DIR]
                                run perfqd on the shipped samples into a fresh store
                                (default workspace: $TMPDIR/perfq-demo) and report it
      rrd COMMAND ...           rrdtool's create, update, fetch, xport, info, dump,
                                lastupdate, first and last, on our own engine
      list [--host H] [--service S]          the store's series, last update and value
      info HOST SERVICE LABEL                what is known about one series
      last HOST SERVICE LABEL                its last update and value
      fetch HOST SERVICE LABEL [--function AVERAGE|MIN|MAX|LAST] [--start TIME] [--end TIME]
                                [--resolution SECONDS]   consolidated rows
        list/info/last/fetch take --store DIR (default $PERFQ_STORE, else /var/lib/perfq) and
        --json or --csv; SERVICE is _HOST_ for host checks; TIME is rrdtool's (1700000000, now,
        -1d, end-2h); quote names with spaces: perfq fetch web-01 "Disk /var" /var
      export HOST SERVICE [LABEL] --format highcharts [--start T] [--end T] [--resolution S] [--raw]
                                [--explain]  one JSON document: average lines, min/max bands,
                                thresholds, why the values have decimals; --raw adds the
                                journaled samples, --explain each point's explanation
      explain HOST SERVICE LABEL --at TIME [--resolution S] [--function F] [--json]
                                where the stored value at TIME came from: the checks, the
                                seconds each covered, and the arithmetic
      page HOST SERVICE [LABEL] -o FILE.html [--highcharts URL[,URL]] [--start T] [--end T]
                                a self-contained chart page (Highcharts from the official CDN,
                                or from the given URLs or paths)
      shard --shards A,B,... [--from A,B,...] (--store DIR | HOST...)
                                which shard of a sharded site (perfqd --route-to) keeps each
                                host (HOST SHARD); with --from, only the hosts that move
                                between the two maps (HOST FROM TO); with --store, each
                                host's directory last

    exit status: 0 all input used, 1 some input rejected, 2 bad usage or unreadable input
    """

let output = BufferedOutput()

@MainActor func fail(_ message: String, status: Int32 = 2) -> Never {
    output.flush()
    FileHandle.standardError.write(Data("perfq: \(message)\n".utf8))
    exit(status)
}

@MainActor func finish(_ status: Int32) -> Never {
    output.flush()
    exit(status)
}

/// A page goes to a regular file by way of a temporary one renamed over it, so that a reader
/// never sees half a page; through a symbolic link to where it points; into a FIFO or a device as
/// it is, rather than replacing it.
@MainActor func writePage(_ page: String, to path: String) {
    let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    var status = stat()
    do {
        if stat(target, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: target) else {
                fail("cannot write \(path): \(String(cString: strerror(errno)))", status: 1)
            }
            try handle.write(contentsOf: Data(page.utf8))
            try handle.close()
        } else {
            try page.write(toFile: target, atomically: true, encoding: .utf8)
        }
    } catch {
        fail("cannot write \(path): \((error as NSError).localizedDescription)", status: 1)
    }
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("perfq: \(message)\n".utf8))
}

let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

@MainActor func printJSON(_ value: some Encodable) {
    guard let data = try? encoder.encode(value) else { fail("cannot encode output as JSON") }
    output.write(data)
    output.write(Data("\n".utf8))
}

@MainActor func readInput(_ path: String) -> Data {
    if path == "-" {
        return FileHandle.standardInput.readDataToEndOfFile()
    }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        fail("\(path): cannot read the file: \((error as NSError).localizedDescription)")
    }
}

/// The raw bytes of argument `index`: CommandLine.arguments would replace a Latin-1 byte.
func rawArgument(_ index: Int) -> [UInt8] {
    let pointer = CommandLine.unsafeArgv[index]!
    return Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("no command given\n\(usage)") }
arguments.removeFirst()

switch command {
case "-h", "--help", "help":
    print(usage)

case "parse":
    if arguments.first == "--help" || arguments.first == "-h" {
        print(usage)
    } else if arguments.count == 2 && arguments[0] == "--perfdata" {
        let parsed = PerfdataParser.parse(rawArgument(CommandLine.arguments.count - 1))
        struct Parsed: Encodable {
            var items: [PerfdataItem]
            var warnings: [String]
        }
        printJSON(Parsed(items: parsed.items, warnings: parsed.warnings.map(\.description)))
        for warning in parsed.warnings where warning.effect.rejectsInput {
            warn("perfdata \(warning)")
        }
        finish(parsed.hasRejectedInput ? 1 : 0)
    } else if arguments.count == 1 && (arguments[0] == "-" || !arguments[0].hasPrefix("-")) {
        let path = arguments[0]
        let name = path == "-" ? "<stdin>" : path
        var rejected = false
        [UInt8](readInput(path)).withUnsafeBufferPointer { contents in
            SpoolParser.parse(contents) { result in
                switch result {
                case .success(let record):
                    printJSON(record)
                    for warning in record.parsed.warnings where warning.effect.rejectsInput {
                        warn("\(name):\(record.lineNumber): perfdata \(warning)")
                        rejected = true
                    }
                case .failure(let error):
                    printJSON(error)
                    warn("\(name):\(error.lineNumber): \(error.reason); line skipped")
                    rejected = true
                }
            }
        }
        finish(rejected ? 1 : 0)
    } else {
        fail("parse takes --perfdata STRING, a spool FILE, or - for stdin\n\(usage)")
    }

case "demo":
    var samples: String?
    var workspace = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-demo").path
    var index = 0
    while index < arguments.count {
        guard index + 1 < arguments.count else { fail("\(arguments[index]) needs a value\n\(usage)") }
        switch arguments[index] {
        case "--samples": samples = arguments[index + 1]
        case "--workspace": workspace = arguments[index + 1]
        default: fail("demo takes --samples DIR and --workspace DIR\n\(usage)")
        }
        index += 2
    }
    guard let directory = samples ?? SampleLocation.find() else {
        fail("no Samples directory found; run from the perfq checkout or pass --samples DIR")
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        fail("\(directory): no such directory")
    }
    do {
        print(try Demo.run(samples: URL(fileURLWithPath: directory), workspace: URL(fileURLWithPath: workspace)))
        // The generated day, as a Highcharts page and its JSON.
        let store = URL(fileURLWithPath: workspace).appendingPathComponent("store")
        var export = try HighchartsExport(root: store, host: "web-01.example", service: "Load", start: 1_793_577_600, end: 1_793_664_000, resolution: 60, includeRaw: true)
        export.includeExplanations = true
        let json = workspace + "/web-01.example-Load.json"
        let page = workspace + "/web-01.example-Load.html"
        try export.json().write(toFile: json, atomically: true, encoding: .utf8)
        try HighchartsPage.html(export).write(toFile: page, atomically: true, encoding: .utf8)
        print("  json:   \(json)  (perfq export web-01.example Load --format highcharts --raw --explain)")
        print("  page:   \(page)  (open it in a browser; it loads Highcharts from code.highcharts.com)")
    } catch {
        fail("\(error)")
    }

case "list", "info", "last", "fetch", "export", "page", "explain":
    var store = ProcessInfo.processInfo.environment["PERFQ_STORE"] ?? "/var/lib/perfq"
    var format = SeriesQuery.Format.text
    var options: [String: String] = [:]
    var names: [String] = []
    var index = 0
    let valued: Set<String> = ["--store", "--host", "--service", "--function", "--start", "--end", "--resolution", "-s", "-e", "-r", "--format", "-o", "--highcharts", "--at"]
    var raw = false
    var explain = false
    while index < arguments.count {
        let argument = arguments[index]
        if argument == "--json" { format = .json } else if argument == "--csv" { format = .csv } else if argument == "--raw" { raw = true } else if argument == "--explain" { explain = true } else if valued.contains(argument) {
            guard index + 1 < arguments.count else { fail("\(argument) needs a value\n\(usage)") }
            options[argument] = arguments[index + 1]
            index += 1
        } else if argument.hasPrefix("--") {
            fail("unknown option '\(argument)'\n\(usage)")
        } else {
            names.append(argument)
        }
        index += 1
    }
    if let path = options["--store"] { store = path }
    /// --start and --end, checked as rrdtool fetch checks them.
    func window() throws -> (Int64, Int64) {
        let start = try TimeSpecification(parsing: options["--start"] ?? options["-s"] ?? "end-1d")
        let end = try TimeSpecification(parsing: options["--end"] ?? options["-e"] ?? "now")
        let (from, to) = try TimeSpecification.resolve(start: start, end: end, now: TimeSpecification.now())
        guard from >= 315_360_000 else { fail("the first entry to fetch should be after 1980") }
        guard from <= to else { fail("start (\(from)) should be less than end (\(to))") }
        return (from, to)
    }
    func resolution() -> UInt64 {
        guard let seconds = UInt64(options["--resolution"] ?? options["-r"] ?? "1"), seconds > 0 else {
            fail("--resolution takes a number of seconds")
        }
        return seconds
    }
    let root = URL(fileURLWithPath: store)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: store, isDirectory: &isDirectory), isDirectory.boolValue else {
        fail("\(store): no store there (give --store DIR or set PERFQ_STORE)")
    }
    do {
        if command == "list" {
            guard names.isEmpty else { fail("list takes --host and --service, not names\n\(usage)") }
            output.write(Data(try SeriesQuery.list(StoreCatalog.series(in: root, host: options["--host"], service: options["--service"]), format: format).utf8))
            finish(0)
        }
        if command == "export" || command == "page" {
            guard names.count == 2 || names.count == 3 else { fail("\(command) takes HOST SERVICE [LABEL]\n\(usage)") }
            if command == "export" && options["--format"] != "highcharts" { fail("export takes --format highcharts\n\(usage)") }
            let (from, to) = try window()
            var export = try HighchartsExport(
                root: root, host: names[0], service: names[1], label: names.count == 3 ? names[2] : nil,
                start: from, end: to, resolution: resolution(), includeRaw: raw)
            export.includeExplanations = explain
            if command == "export" {
                try export.write { output.write($0) }
            } else {
                guard let file = options["-o"] else { fail("page needs -o FILE.html") }
                let scripts = options["--highcharts"].map { $0.split(separator: ",").map(String.init) } ?? HighchartsPage.defaultScripts
                // The tooltips explain the point under the cursor.
                export.includeExplanations = true
                writePage(try HighchartsPage.html(export, scripts: scripts), to: file)
                output.write(Data("wrote \(file)\n".utf8))
            }
            finish(0)
        }
        guard names.count == 3 else { fail("\(command) takes HOST SERVICE LABEL (SERVICE is _HOST_ for host checks)\n\(usage)") }
        guard let series = StoreCatalog.find(in: root, host: names[0], service: names[1], label: names[2]) else {
            fail("no series \(names[0]) / \(names[1]) / \(names[2]) in \(store) (perfq list shows what there is)", status: 1)
        }
        let text: String
        switch command {
        case "explain":
            guard let atText = options["--at"] else { fail("explain needs --at TIME") }
            let at = try TimeSpecification(parsing: atText).resolve(now: TimeSpecification.now())
            guard let function = ConsolidationFunction(rawValue: (options["--function"] ?? "AVERAGE").uppercased()) else {
                fail("--function takes AVERAGE, MIN, MAX or LAST")
            }
            let file = try SeriesQuery.open(series)
            // The row that holds `at`: the same choice fetch makes for a window ending there.
            let rows = try file.fetch(function, start: at - 1, end: at, resolution: resolution())
            guard let row = (0..<rows.rowCount).first(where: { rows.time(ofRow: $0) >= at }) else { fail("no row holds \(atText)", status: 1) }
            let explainer = try PointExplainer(series: series)
            guard let explanation = explainer.explain(archive: rows.archive, time: rows.time(ofRow: row), stored: rows.values[row]) else {
                fail("the value at \(rows.time(ofRow: row)) cannot be explained: the journal of raw samples (from \(explainer.journalStart.map(String.init) ?? "nothing")) does not reach back far enough", status: 1)
            }
            text = format == .json ? try PointExplainer.json(explanation) : PointExplainer.text(explanation, series: series)
        case "info": text = try SeriesQuery.info(series, format: format)
        case "last": text = try SeriesQuery.last(series, format: format)
        default:
            guard let function = ConsolidationFunction(rawValue: (options["--function"] ?? "AVERAGE").uppercased()) else {
                fail("--function takes AVERAGE, MIN, MAX or LAST")
            }
            let (from, to) = try window()
            text = try SeriesQuery.fetch(series, function: function, start: from, end: to, resolution: resolution(), format: format)
        }
        output.write(Data(text.utf8))
        finish(0)
    } catch {
        fail("\(error)", status: 1)
    }

case "shard":
    var options: [String: String] = [:]
    var hosts: [[UInt8]] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if ["--shards", "--from", "--store"].contains(argument) {
            guard index + 1 < arguments.count else { fail("\(argument) needs a value\n\(usage)") }
            options[argument] = arguments[index + 1]
            index += 1
        } else if argument.hasPrefix("--") {
            fail("unknown option '\(argument)'\n\(usage)")
        } else {
            hosts.append(rawArgument(index + 2))
        }
        index += 1
    }
    guard let shards = options["--shards"] else { fail("shard needs --shards A,B,...\n\(usage)") }
    /// With --store, each host's directory there too: what to copy when it moves.
    var directories: [String?] = hosts.map { _ in nil }
    if let store = options["--store"] {
        guard hosts.isEmpty else { fail("shard takes --store or host names, not both") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: store, isDirectory: &isDirectory), isDirectory.boolValue else {
            fail("\(store): no store there")
        }
        let found = StoreCatalog.hosts(in: URL(fileURLWithPath: store))
        hosts = found.map(\.name)
        directories = found.map { "\(store)/\($0.directory)" }
    }
    guard !hosts.isEmpty else { fail("shard needs host names or --store DIR\n\(usage)") }
    do {
        let map = try ShardMap(list: shards)
        let previous = try options["--from"].map { try ShardMap(list: $0) }
        for (host, directory) in zip(hosts, directories) {
            var fields = [RawText(bytes: host).text]
            let shard = map.shard(forHost: host)
            if let previous {
                let before = previous.shard(forHost: host)
                guard before != shard else { continue }
                fields.append(before)
            }
            fields.append(shard)
            if let directory { fields.append(directory) }
            output.write(Data((fields.joined(separator: "\t") + "\n").utf8))
        }
    } catch {
        fail("\(error)")
    }

case "rrd":
    let outcome = RRDTool.run(arguments)
    output.write(Data(outcome.output.utf8))
    output.flush()
    if let error = outcome.error { FileHandle.standardError.write(Data(error.utf8)) }
    exit(outcome.status)

default:
    fail("unknown command '\(command)'\n\(usage)")
}

/// Finds the shipped `Samples/` directory: in the working directory, else beside this source tree.
enum SampleLocation {
    static func find() -> String? {
        let candidates = [
            FileManager.default.currentDirectoryPath + "/Samples",
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Samples").path,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
finish(0)
