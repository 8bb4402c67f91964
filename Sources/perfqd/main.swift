import Foundation
import Ingest
import ModGearman

let usage = """
    usage: perfqd --spool DIR --store DIR [--config FILE] [--once] [--workers N] [--no-sync]
                  [--log-level 0|1|2]
                  [--gearman HOST:PORT[,...] [--queue NAME[,...]] [--key-file FILE | --key KEY | --no-encryption]]
           perfqd --gearman HOST:PORT[,...] --route-to SHARD[,...] --spool DIR [--queue NAME[,...]] [--key-file FILE ...]

    Watches DIR for the bulk perfdata files Nagios, Icinga 2 or Naemon rotate into it (the files
    NPCD would take), and stores every value in round-robin files under the store directory.
    --config reads npcd.cfg's keys and perfqd's own; the command line wins over it.
    --once takes the files there now and exits. SIGTERM/SIGINT finish the current file and stop;
    SIGHUP reads the configuration again. Counters: <store>/.perfqd-stats.json.
    --gearman also takes Mod-Gearman's perfdata jobs (queue "perfdata" unless --queue says
    otherwise) from gearmand, through the spool. With --route-to, perfqd stores nothing: it passes
    each job on to the queue <queue>_<shard>, the shard chosen by host name, for the storage nodes.
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
    case "--gearman":
        let servers = value().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        settings.append { $0.gearman.servers = servers }
    case "--queue":
        let queues = value().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        settings.append { $0.gearman.queues = queues }
    case "--key":
        let key = value()
        guard !key.isEmpty else { fail("--key is empty: give Mod-Gearman's key, or --key-file FILE") }
        settings.append { $0.gearman.key = key; $0.gearman.keyFile = nil; $0.gearman.encryption = true }
    case "--key-file":
        let file = value()
        settings.append { $0.gearman.keyFile = file; $0.gearman.encryption = true }
    case "--no-encryption": settings.append { $0.gearman.encryption = false }
    case "--route-to":
        let shards = value().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        settings.append { $0.gearman.shards = shards }
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
var effective = configuration
for setting in commandLine { setting(&effective) }

let encryptionChoices = Set(arguments).intersection(["--key", "--key-file", "--no-encryption"])
if encryptionChoices.count > 1 {
    fail("\(encryptionChoices.sorted().joined(separator: " and ")) contradict each other: give one")
}
if let repeated = Dictionary(grouping: arguments.filter { $0.hasPrefix("--") }, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
    fail("\(repeated) is given twice\(["--gearman", "--queue", "--route-to"].contains(repeated) ? ": give several as one comma-separated list" : "")")
}
if !effective.gearman.isEnabled, let option = arguments.first(where: ["--queue", "--key", "--key-file", "--no-encryption", "--route-to"].contains) {
    fail("\(option) takes effect only with --gearman HOST:PORT (or gearman_servers in the configuration)")
}

if effective.gearman.isEnabled || !effective.gearman.shards.isEmpty {
    do {
        try effective.gearman.validate()
    } catch {
        fail("\(error)")
    }
}
if !effective.gearman.shards.isEmpty {
    guard effective.gearman.isEnabled else { fail("--route-to needs --gearman HOST:PORT") }
    guard let spool = effective.spoolDirectory else {
        fail("a router needs --spool DIR: for the jobs in hand, and for those it cannot read")
    }
    if arguments.contains("--store") {
        fail("a router (--route-to) stores nothing: --store belongs to the storage nodes")
    }
    let logger = Logger(level: effective.logLevel, destination: effective.logDestination)
    let signals = SignalFlags()
    signals.install()
    do {
        exit(try JobRouter(settings: effective.gearman, spool: SpoolDirectory(path: spool), logger: logger).run(signals: signals))
    } catch {
        fail("\(error)")
    }
}
guard effective.spoolDirectory != nil, effective.storeDirectory != nil else {
    fail("both a spool directory (--spool or perfdata_spool_dir) and a store directory (--store or store_dir) are needed (--help shows the usage)")
}
var feeder: JobReceiver?
if effective.gearman.isEnabled {
    if once { fail("--once takes the spool files there now; it cannot be used with --gearman") }
    do {
        feeder = try JobReceiver(settings: effective.gearman)
    } catch {
        fail("\(error)")
    }
}
exit(Daemon(configuration: configuration, configurationPath: configurationPath, once: once, feeder: feeder) { configuration in
    for setting in commandLine { setting(&configuration) }
}.run())
