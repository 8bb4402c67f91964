import Foundation
import Ingest
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
