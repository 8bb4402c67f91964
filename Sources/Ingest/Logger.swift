import Foundation

/// Log lines with a level, to stderr, a file or syslog, as NPCD's `log_type` and `log_level` say.
public final class Logger: @unchecked Sendable {
    public enum Level: Int, Comparable, Sendable {
        case error = 0, info = 1, debug = 2

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        var name: String {
            switch self {
            case .error: "error"
            case .info: "info"
            case .debug: "debug"
            }
        }
    }

    public enum Destination: Sendable, Equatable {
        case standardError
        case file(String)
        case syslog
    }

    private let lock = NSLock()
    private var level: Level
    private var destination: Destination
    private var handle: FileHandle?

    public init(level: Level = .info, destination: Destination = .standardError) {
        self.level = level
        self.destination = destination
        configure(level: level, destination: destination)
    }

    public func configure(level: Level, destination: Destination) {
        lock.lock()
        defer { lock.unlock() }
        self.level = level
        self.destination = destination
        handle = nil
        if case .file(let path) = destination {
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            handle = FileHandle(forWritingAtPath: path)
            _ = try? handle?.seekToEnd()
        }
        if destination == .syslog { openlog("perfqd", LOG_PID, LOG_DAEMON) }
    }

    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }

    public func log(_ messageLevel: Level, _ message: String) {
        lock.lock()
        defer { lock.unlock() }
        guard messageLevel <= level else { return }
        switch destination {
        case .syslog:
            let priority = messageLevel == .error ? LOG_ERR : messageLevel == .info ? LOG_INFO : LOG_DEBUG
            withVaList([message]) { vsyslog(priority, "%s", $0) }
        case .standardError, .file:
            let stamp = Date().formatted(.iso8601)
            let line = Data("\(stamp) [\(getpid())] [\(messageLevel.name)] \(message)\n".utf8)
            if let handle {
                try? handle.write(contentsOf: line)
            } else {
                FileHandle.standardError.write(line)
            }
        }
    }
}
