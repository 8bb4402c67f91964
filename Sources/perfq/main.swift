import Foundation
import Perfdata
import RoundRobin

let usage = """
    usage: perfq <command> [arguments]

    commands:
      parse --perfdata STRING   parse one perfdata string, print its items as JSON
      parse FILE|-              parse a bulk perfdata spool file, one JSON line per record
      demo [--samples DIR]      run the main job on the shipped samples and summarize it
      rrd COMMAND ...           rrdtool's create, update, fetch, xport, info, dump,
                                lastupdate, first and last, on our own engine

    exit status: 0 all input used, 1 some input rejected, 2 bad usage or unreadable input
    """

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("perfq: \(message)\n".utf8))
    exit(status)
}

func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { fail("cannot encode output as JSON") }
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func readInput(_ path: String) -> [UInt8] {
    if path == "-" {
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        fail("\(path): cannot read the file")
    }
    return [UInt8](data)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("no command given\n\(usage)") }
arguments.removeFirst()

switch command {
case "-h", "--help", "help":
    print(usage)

case "parse":
    if arguments.first == "--help" {
        print(usage)
    } else if arguments.count == 2 && arguments[0] == "--perfdata" {
        // Arguments are read as raw bytes: CommandLine.arguments would replace a Latin-1 byte.
        let raw = CommandLine.unsafeArgv[CommandLine.arguments.count - 1]!
        let parsed = PerfdataParser.parse(Array(UnsafeBufferPointer(start: raw, count: strlen(raw))).map { UInt8(bitPattern: $0) })
        struct Output: Encodable {
            var items: [PerfdataItem]
            var warnings: [String]
        }
        printJSON(Output(items: parsed.items, warnings: parsed.warnings.map(\.description)))
        exit(parsed.rejectedInput ? 1 : 0)
    } else if arguments.count == 1 && !arguments[0].hasPrefix("--") {
        let path = arguments[0]
        let name = path == "-" ? "<stdin>" : path
        var rejected = false
        readInput(path).withUnsafeBufferPointer { contents in
            SpoolParser.parse(contents) { result in
                switch result {
                case .success(let record):
                    printJSON(record)
                    if record.parsed.rejectedInput { rejected = true }
                case .failure(let error):
                    printJSON(error)
                    FileHandle.standardError.write(Data("perfq: \(name):\(error.line): \(error.reason); line skipped\n".utf8))
                    rejected = true
                }
            }
        }
        exit(rejected ? 1 : 0)
    } else {
        fail("parse takes --perfdata STRING, a spool FILE, or - for stdin\n\(usage)")
    }

case "demo":
    var samples: String?
    if arguments.count == 2 && arguments[0] == "--samples" {
        samples = arguments[1]
    } else if !arguments.isEmpty {
        fail("demo takes only --samples DIR\n\(usage)")
    }
    let directory = samples ?? SampleLocation.find()
    guard let directory else { fail("no Samples directory found; run from the perfq checkout or pass --samples DIR") }
    do {
        let summary = try SpoolSummary(directory: URL(fileURLWithPath: directory))
        print(summary.report)
    } catch {
        fail("\(error)")
    }

case "rrd":
    let outcome = RRDTool.run(arguments)
    FileHandle.standardOutput.write(Data(outcome.output.utf8))
    if let error = outcome.error { FileHandle.standardError.write(Data(error.utf8)) }
    exit(outcome.status)

default:
    fail("unknown command '\(command)'\n\(usage)")
}
