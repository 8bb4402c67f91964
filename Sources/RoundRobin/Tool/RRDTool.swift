#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `rrdtool`'s command line over our engine: the same arguments, the same output, the same error
/// texts (`ERROR: …` on stderr, exit status 1), so scripts written for rrdtool run unchanged.
public enum RRDTool {
    public struct Outcome: Sendable {
        public var output: String
        public var error: String?

        public var status: Int32 { error == nil ? 0 : 1 }
    }

    public static let usage = """
        usage: perfq rrd COMMAND ARGUMENTS, with rrdtool 1.7.2's arguments:
          create FILE [--start|-b TIME] [--step|-s STEP] [--no-overwrite|-O] DS:… RRA:…
          update FILE [--template|-t DS:DS…] [--skip-past-updates|-s] TIME:VALUE[:VALUE…] …
          fetch FILE CF [--resolution|-r RES] [--start|-s TIME] [--end|-e TIME] [--align-start|-a]
          xport [--start|-s TIME] [--end|-e TIME] [--step STEP] [--maxrows|-m N] [--json]
                [--enumds] [--showtime|-t] DEF:NAME=FILE:DS:CF … XPORT:NAME[:LEGEND] …
          info FILE | dump FILE [--header|-h dtd|xsd|none] [--no-header|-n] | lastupdate FILE
          first FILE [--rraindex N] | last FILE
        """

    /// Runs one command. Like rrdtool, it takes the number format of `fetch` and `info` from the
    /// locale (LC_ALL, LC_NUMERIC, LANG); `dump` and `xport` are the same everywhere.
    public static func run(_ arguments: [String]) -> Outcome {
        setlocale(LC_ALL, "")
        do throws(RRDError) {
            return Outcome(output: try execute(arguments), error: nil)
        } catch {
            return Outcome(output: "", error: "ERROR: \(error.message)\n")
        }
    }

    private static func execute(_ arguments: [String]) throws(RRDError) -> String {
        guard let command = arguments.first else { throw RRDError("no command given\n\(usage)") }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "create": return try create(rest)
        case "update": return try update(rest)
        case "fetch": return try fetch(rest)
        case "xport": return try export(rest)
        case "info":
            let options = try Options(rest, flags: [:])
            let path = try options.file()
            return try RoundRobinFile(path: path).infoText(name: path)
        case "dump":
            let options = try Options(rest, flags: ["header": "h", "no-header": "n"], valued: ["header"])
            var header = RoundRobinFile.DumpHeader.dtd
            if options.has("no-header") { header = .none }
            if let name = options.value("header") {
                guard let chosen = RoundRobinFile.DumpHeader(rawValue: name) else {
                    throw RRDError("unknown header option '\(name)'")
                }
                header = chosen
            }
            let text = try RoundRobinFile(path: try options.file()).dumpText(header: header)
            if options.positional.count > 1 {
                try FileOutput.write(text, to: options.positional[1])
                return ""
            }
            return text
        case "lastupdate":
            return try RoundRobinFile(path: try Options(rest, flags: [:]).file()).lastUpdateText()
        case "first":
            let options = try Options(rest, flags: ["rraindex": ""], valued: ["rraindex"])
            let index = try options.value("rraindex").map { text throws(RRDError) -> Int in
                guard let number = Int(text), number >= 0 else { throw RRDError("invalid rraindex number") }
                return number
            } ?? 0
            return "\(try RoundRobinFile(path: try options.file()).firstTime(archive: index))\n"
        case "last":
            return "\(try RoundRobinFile(path: try Options(rest, flags: [:]).file()).lastUpdate)\n"
        case "help", "--help", "-h":
            return usage + "\n"
        default:
            throw RRDError("unknown function '\(command)'")
        }
    }

    private static func create(_ arguments: [String]) throws(RRDError) -> String {
        let options = try Options(arguments, flags: ["start": "b", "step": "s", "no-overwrite": "O"], valued: ["start", "step"])
        let path = try options.file()
        var step: UInt64 = 300
        if let text = options.value("step") {
            do throws(RRDError) {
                step = try ScaledCount(text).seconds
            } catch {
                throw RRDError("step size: \(error.message)")
            }
        }
        var start = TimeSpecification.now() - 10
        if let text = options.value("start") {
            do throws(RRDError) {
                start = try TimeSpecification(parsing: text).resolve(now: TimeSpecification.now())
            } catch {
                throw RRDError("start time: \(error.message)")
            }
            guard start >= 315_360_000 else { throw RRDError("the first entry to the RRD should be after 1980") }
        }
        let schema = try SchemaDefinition.schema(step: step, definitions: Array(options.positional.dropFirst()))
        try RoundRobinFile.create(at: path, schema: schema, start: start, overwrite: !options.has("no-overwrite"))
        return ""
    }

    private static func update(_ arguments: [String]) throws(RRDError) -> String {
        let options = try Options(arguments, flags: ["template": "t", "skip-past-updates": "s"], valued: ["template"])
        let path = try options.file()
        let readings = Array(options.positional.dropFirst())
        guard !readings.isEmpty else { throw RRDError("Not enough arguments") }
        let template = options.value("template").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
        let file = try RoundRobinFile(path: path, writable: true)
        try file.update(readings, template: template, skipPastUpdates: options.has("skip-past-updates"))
        return ""
    }

    private static func fetch(_ arguments: [String]) throws(RRDError) -> String {
        let options = try Options(
            arguments, flags: ["resolution": "r", "start": "s", "end": "e", "align-start": "a"],
            valued: ["resolution", "start", "end"])
        let path = try options.file()
        guard options.positional.count >= 2 else { throw RRDError("Usage: rrdtool fetch <file> CF [options]") }
        let function = try consolidationFunction(options.positional[1])
        var resolution: UInt64 = 1
        if let text = options.value("resolution") {
            // Any resolution is a request, the nearest archive the answer; huge ones included.
            do throws(RRDError) {
                resolution = try ScaledCount(text).seconds
            } catch {
                guard let digits = UInt64(text.prefix { $0.isNumber }), digits > 0 else { throw RRDError("resolution: \(error.message)") }
                resolution = digits
            }
        }
        var (start, end) = try window(options, defaultStart: "end-24h")
        guard start >= 315_360_000 else { throw RRDError("the first entry to fetch should be after 1980") }
        guard start <= end else { throw RRDError("start (\(start)) should be less than end (\(end))") }
        if options.has("align-start") {
            let shift = start % Int64(resolution)
            start -= shift
            end -= shift
        }
        let file = try RoundRobinFile(path: path)
        return try file.fetch(function, start: start, end: end, resolution: resolution).text
    }

    private static func export(_ arguments: [String]) throws(RRDError) -> String {
        let options = try Options(
            arguments,
            flags: ["start": "s", "end": "e", "maxrows": "m", "step": "", "json": "", "enumds": "", "showtime": "t", "daemon": "d"],
            valued: ["start", "end", "maxrows", "step", "daemon"])
        if options.has("daemon") { throw RRDError("perfq rrd does not talk to rrdcached; read the files directly") }
        let (start, end) = try window(options, defaultStart: "end-24h")
        var export = Export(start: start, end: end)
        if let rows = options.value("maxrows") {
            guard let count = Int(rows) else { throw RRDError("invalid maxrows '\(rows)'") }
            export.maximumRows = count
        }
        if let step = options.value("step") {
            // rrdtool reads it with atol: leading digits, no suffix.
            export.step = min(UInt64(step.prefix { $0.isNumber }) ?? 0, 1 << 40)
        }
        for item in options.positional {
            try export.add(item)
        }
        let table = try export.table()
        return options.has("json")
            ? table.json(showTime: options.has("showtime"))
            : table.xml(showTime: options.has("showtime"), enumerateColumns: options.has("enumds"))
    }

    private static func window(_ options: Options, defaultStart: String) throws(RRDError) -> (Int64, Int64) {
        let start = try TimeSpecification(parsing: options.value("start") ?? defaultStart)
        let end = try TimeSpecification(parsing: options.value("end") ?? "now")
        return try TimeSpecification.resolve(start: start, end: end, now: TimeSpecification.now())
    }

    static func consolidationFunction(_ name: String) throws(RRDError) -> ConsolidationFunction {
        if let function = ConsolidationFunction(rawValue: name) { return function }
        if ["HWPREDICT", "MHWPREDICT", "SEASONAL", "DEVSEASONAL", "DEVPREDICT", "FAILURES"].contains(name) {
            throw RRDError("the RRD does not contain an RRA matching the chosen CF")
        }
        throw RRDError("unknown consolidation function '\(name)'")
    }
}

/// GNU-style options as rrdtool reads them: `--name value`, `--name=value`, `-n value`, `-nvalue`,
/// mixed with positional arguments.
struct Options {
    var values: [String: String] = [:]
    var positional: [String] = []

    /// `flags` maps each long name to its short letter ("" for none); `valued` names those that
    /// take a value.
    init(_ arguments: [String], flags: [String: String], valued: Set<String> = []) throws(RRDError) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                positional += arguments[index...]
                break
            }
            var name: String?
            var inline: String?
            if argument.hasPrefix("--") && argument.count > 2 {
                let body = argument.dropFirst(2)
                if let equals = body.firstIndex(of: "=") {
                    name = String(body[..<equals])
                    inline = String(body[body.index(after: equals)...])
                } else {
                    name = String(body)
                }
                guard flags[name!] != nil else { throw RRDError("unknown option '\(argument)'") }
            } else if argument.hasPrefix("-") && argument.count > 1 && !argument.dropFirst().allSatisfy({ $0.isNumber || $0 == "." }) {
                let letter = String(argument.dropFirst().prefix(1))
                guard let long = flags.first(where: { $0.value == letter })?.key else {
                    throw RRDError("unknown option '-\(letter)'")
                }
                name = long
                if argument.count > 2 { inline = String(argument.dropFirst(2)) }
            }
            guard let name else {
                positional.append(argument)
                continue
            }
            if valued.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard index < arguments.count else { throw RRDError("option '\(argument)' requires an argument") }
                    values[name] = arguments[index]
                    index += 1
                }
            } else {
                values[name] = ""
            }
        }
    }

    func has(_ name: String) -> Bool { values[name] != nil }

    func value(_ name: String) -> String? { values[name] }

    func file() throws(RRDError) -> String {
        guard let path = positional.first else { throw RRDError("Not enough arguments") }
        return path
    }
}
