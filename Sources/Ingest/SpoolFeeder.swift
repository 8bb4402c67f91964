import Synchronization

/// Fills the spool from somewhere else while the daemon takes files from it: Mod-Gearman's
/// perfdata queue. A feeder writes whole spool files, durably, before it lets go of their source,
/// so from then on the spool's own guarantees hold.
public protocol SpoolFeeder: Sendable {
    /// Runs until `signals` asks to stop; the daemon has the spool locked for this process.
    func feed(_ spool: SpoolDirectory, logger: Logger, counters: FeederCounters, signals: SignalFlags)
}

/// What a feeder has taken in, read by the daemon when it writes its counters.
public final class FeederCounters: Sendable {
    public let jobs = Atomic<Int>(0)
    public let undecodableJobs = Atomic<Int>(0)

    public init() {}
}
