import Dispatch
import Foundation
import Store
import Synchronization

/// perfqd's main loop: take spool files oldest first as they arrive, store them, repeat.
///
/// SIGTERM and SIGINT finish the current file and stop; SIGHUP re-reads the configuration file.
public final class Daemon: @unchecked Sendable {
    private var configuration: IngestConfiguration
    private let configurationPath: String?
    private let once: Bool
    /// What the command line said; it wins over the configuration file, also after SIGHUP.
    private let overrides: @Sendable (inout IngestConfiguration) -> Void
    public let logger: Logger
    private let signals = SignalFlags()
    /// Fills the spool from Mod-Gearman's queue, when perfqd takes jobs too.
    private let feeder: (any SpoolFeeder)?
    /// Spool files stored in one batch when a backlog is waiting.
    static let filesPerBatch = 64

    public init(configuration: IngestConfiguration, configurationPath: String?, once: Bool,
                feeder: (any SpoolFeeder)? = nil,
                overrides: @escaping @Sendable (inout IngestConfiguration) -> Void = { _ in }) {
        var configuration = configuration
        overrides(&configuration)
        self.configuration = configuration
        self.configurationPath = configurationPath
        self.once = once
        self.overrides = overrides
        self.feeder = feeder
        logger = Logger(level: configuration.logLevel, destination: configuration.logDestination)
    }

    /// Runs until stopped (or, with `once`, until the spool is empty); returns the exit status.
    public func run() -> Int32 {
        for warning in configuration.warnings { logger.error("configuration: \(warning)") }
        guard let spoolPath = configuration.spoolDirectory, let storePath = configuration.storeDirectory else {
            logger.error("both a spool directory (--spool or perfdata_spool_dir) and a store directory (--store or store_dir) are needed")
            return 2
        }
        let spool = SpoolDirectory(path: spoolPath)
        let store: Store
        do {
            try spool.prepare()
        } catch {
            logger.error("cannot start: \(error)")
            return 1
        }
        guard let spoolLock = spool.lockExclusively() else {
            logger.error("cannot start: another perfqd is taking files from \(spoolPath)")
            return 1
        }
        defer { close(spoolLock) }
        do {
            store = try Store(root: URL(fileURLWithPath: storePath), options: configuration.store)
        } catch {
            logger.error("cannot start: \(error)")
            return 1
        }
        if let pidFile = configuration.pidFile {
            try? Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: pidFile))
        }
        defer {
            if let pidFile = configuration.pidFile { unlink(pidFile) }
        }
        signals.install()
        let processor = SpoolProcessor(spool: spool, store: store, logger: logger)
        logger.info("perfqd \(getpid()) watching \(spoolPath), storing into \(storePath)")
        let feederDone = DispatchSemaphore(value: 0)
        if let feeder {
            let counters = processor.feederCounters
            Thread.detachNewThread { [logger, signals] in
                feeder.feed(spool, logger: logger, counters: counters, signals: signals)
                feederDone.signal()
            }
        }
        var feederRuns = feeder != nil
        func stopFeeder() {
            // The feeder lets go of its jobs only once they are in the spool; wait for that.
            signals.requestStop()
            if feederRuns { feederDone.wait() }
            feederRuns = false
        }
        defer { stopFeeder() }

        var watcher: SpoolWatcher?
        if !once {
            do {
                watcher = try SpoolWatcher(directory: spoolPath)
            } catch {
                logger.error("\(error); falling back to scanning every \(configuration.sleepTime) s")
            }
        }
        var announced: Set<String> = []
        var retryDelay = 1.0
        while !signals.isStopRequested {
            if signals.takeReloadRequest() { reload(store: store) }
            // Files already claimed come first: left by a crash (the store rolled their batch
            // back) or by a store failure; their samples are older than anything still waiting.
            let claimed = spool.claimedFiles()
            if !claimed.isEmpty {
                logger.info("taking up claimed files again: \(claimed.joined(separator: ", "))")
                if !processor.process(claimed) {
                    if once || processor.storeNeedsRecovery { return 1 }
                    logger.error("trying again in \(Int(retryDelay)) s")
                    sleepUnlessStopped(retryDelay)
                    retryDelay = min(retryDelay * 2, 60)
                    continue
                }
                retryDelay = 1
            }
            let ready = spool.readyFiles(announced: announced, minimumAge: once ? 0 : configuration.minimumFileAge)
            announced.subtract(ready)
            // A backlog is taken in groups that share one store batch (and its fsyncs).
            var start = ready.startIndex
            while start < ready.endIndex && !signals.isStopRequested {
                waitForLoad()
                let group = ready[start..<min(start + Self.filesPerBatch, ready.endIndex)]
                start = group.endIndex
                // Another process may take a file first; a failed batch waits in the work directory.
                if !processor.process(group.filter { spool.claim($0) }) {
                    if processor.storeNeedsRecovery { return 1 }
                    break
                }
            }
            if !spool.claimedFiles().isEmpty {
                if once { return 1 }
                continue
            }
            if once { break }
            processor.flushCounters()
            // Wait in slices so that a signal is noticed quickly; a file that was too young to
            // take is taken as soon as it is old enough.
            let wait = spool.hasWaitingFiles() ? min(configuration.sleepTime, configuration.minimumFileAge + 0.2) : configuration.sleepTime
            let deadline = Date().addingTimeInterval(wait)
            while !signals.isStopRequested && !signals.isReloadRequested && Date() < deadline {
                if let watcher {
                    watcher.wait(timeout: 0.25)
                    let arrived = watcher.takeAnnounced()
                    if !arrived.isEmpty {
                        announced.formUnion(arrived)
                        break
                    }
                } else {
                    Thread.sleep(forTimeInterval: 0.25)
                }
            }
        }
        stopFeeder()
        processor.flushCounters()
        logger.info("perfqd stopping: \(processor.counters.summary)")
        return 0
    }

    private func sleepUnlessStopped(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !signals.isStopRequested && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    private func reload(store: Store) {
        guard let configurationPath else {
            logger.info("SIGHUP: no configuration file to read again")
            return
        }
        do {
            var fresh = try IngestConfiguration.read(configurationPath)
            overrides(&fresh)
            fresh.spoolDirectory = configuration.spoolDirectory
            fresh.storeDirectory = configuration.storeDirectory
            for warning in fresh.warnings { logger.error("configuration: \(warning)") }
            configuration = fresh
            store.options = fresh.store
            logger.configure(level: fresh.logLevel, destination: fresh.logDestination)
            logger.info("SIGHUP: read \(configurationPath) again (the spool and store directories and the gearman settings need a restart)")
        } catch {
            logger.error("SIGHUP: \(error); keeping the configuration in force")
        }
    }

    /// NPCD's load_threshold: above it, wait before taking the next file.
    private func waitForLoad() {
        guard configuration.loadThreshold > 0 else { return }
        while !signals.isStopRequested,
              let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
              let load = Double(text.split(separator: " ").first ?? ""), load > configuration.loadThreshold {
            logger.debug("load \(load) above load_threshold \(configuration.loadThreshold); waiting")
            Thread.sleep(forTimeInterval: min(configuration.sleepTime, 5))
        }
    }
}
