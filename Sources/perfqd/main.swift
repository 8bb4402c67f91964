import Foundation
import Ingest

let usage = """
    usage: perfqd --spool DIR --store DIR [--config FILE] [--once] [--workers N] [--no-sync]
                  [--log-level 0|1|2]

    Watches DIR for the bulk perfdata files Nagios, Icinga 2 or Naemon rotate into it (the files
    NPCD would take), and stores every value in round-robin files under the store directory.
    --config reads npcd.cfg's keys and perfqd's own; the command line wins over it.
    --once takes the files there now and exits. SIGTERM/SIGINT finish the current file and stop;
    SIGHUP reads the configuration again. Counters: <store>/.perfqd-stats.json.
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("perfqd: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var configurationPath: String?
if let index = arguments.firstIndex(of: "--config") {
    guard index + 1 < arguments.count else { fail("--config needs a file\n\(usage)") }
    configurationPath = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
var configuration = IngestConfiguration()
if let configurationPath {
    do {
        configuration = try IngestConfiguration.read(configurationPath)
    } catch {
        fail("\(error)")
    }
}
var once = false
/// The command line's settings, applied over the configuration file now and after SIGHUP.
var settings: [@Sendable (inout IngestConfiguration) -> Void] = []
var index = 0
while index < arguments.count {
    let argument = arguments[index]
    func value() -> String {
        guard index + 1 < arguments.count else { fail("\(argument) needs a value\n\(usage)") }
        index += 1
        return arguments[index]
    }
    switch argument {
    case "--spool":
        let path = value()
        settings.append { $0.spoolDirectory = path }
    case "--store":
        let path = value()
        settings.append { $0.storeDirectory = path }
    case "--once": once = true
    case "--no-sync": settings.append { $0.store.synchronous = false }
    case "--workers":
        guard let count = Int(value()), count > 0 else { fail("--workers takes a positive number") }
        settings.append { $0.workers = count; $0.store.workers = count }
    case "--log-level":
        guard let level = Int(value()), let chosen = Logger.Level(rawValue: level) else { fail("--log-level takes 0, 1 or 2") }
        settings.append { $0.logLevel = chosen }
    case "-d", "-f":
        fail("\(argument): perfqd runs in the foreground; give the configuration with --config (see README: running perfqd under systemd)")
    case "-h", "--help":
        print(usage)
        exit(0)
    default:
        fail("unknown argument '\(argument)'\n\(usage)")
    }
    index += 1
}
let commandLine = settings
exit(Daemon(configuration: configuration, configurationPath: configurationPath, once: once) { configuration in
    for setting in commandLine { setting(&configuration) }
}.run())
