import Foundation

/// Wakes the daemon when a file is moved into (or finished in) the spool directory, through
/// inotify; a timeout makes it rescan anyway, since events are lost when the queue overflows.
public final class SpoolWatcher: @unchecked Sendable {
    private let descriptor: Int32
    /// Names inotify announced since the last call to `takeAnnounced()`.
    private var announced: Set<String> = []

    public init(directory: String) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw ConfigurationError(message: "inotify_init1: \(String(cString: strerror(errno)))")
        }
        let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)
        guard inotify_add_watch(descriptor, directory, mask) >= 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ConfigurationError(message: "cannot watch \(directory): \(reason)")
        }
    }

    deinit {
        close(descriptor)
    }

    /// Waits until a file event arrives or `timeout` seconds pass.
    public func wait(timeout: Double) {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&poller, 1, Int32(timeout * 1000))
        drain()
    }

    public func takeAnnounced() -> Set<String> {
        defer { announced.removeAll() }
        return announced
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            guard count > 0 else { return }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let length = buffer.withUnsafeBytes { Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)) }
                let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)].prefix { $0 != 0 }
                if !nameBytes.isEmpty { announced.insert(String(decoding: nameBytes, as: UTF8.self)) }
                offset += header + length
            }
        }
    }
}
