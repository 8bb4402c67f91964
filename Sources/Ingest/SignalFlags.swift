import Dispatch
import Glibc
import Synchronization

/// SIGTERM and SIGINT ask to stop, SIGHUP to read the configuration again; loops look at the flags
/// between pieces of work, so a signal never cuts one in half.
public final class SignalFlags: Sendable {
    private let stop = Atomic<Bool>(false)
    private let reload = Atomic<Bool>(false)
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []

    public init() {}

    public func install() {
        for (number, isReload) in [(SIGTERM, false), (SIGINT, false), (SIGHUP, true)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                if isReload { self?.reload.store(true, ordering: .relaxed) } else { self?.stop.store(true, ordering: .relaxed) }
            }
            source.resume()
            sources.append(source)
        }
    }

    public var isStopRequested: Bool { stop.load(ordering: .relaxed) }
    public func requestStop() { stop.store(true, ordering: .relaxed) }
    public var isReloadRequested: Bool { reload.load(ordering: .relaxed) }
    /// Whether a reload was asked for since the last call.
    public func takeReloadRequest() -> Bool { reload.exchange(false, ordering: .relaxed) }
}
