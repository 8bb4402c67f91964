import Foundation
import Ingest
import ModGearman

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func temporaryDirectory(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A real gearmand on a loopback port of its own, stopped when the test lets go of it.
final class Gearmand: @unchecked Sendable {
    let port: Int
    private let process: Process
    let log: URL

    var address: String { "127.0.0.1:\(port)" }

    /// Starts on a random free port; when it does not come up there (another process took the
    /// port first), on another.
    init(directory: URL) throws {
        log = directory.appendingPathComponent("gearmand.log")
        for _ in 0..<5 {
            let candidate = Int.random(in: 40_000...59_000)
            guard Self.isFree(candidate) else { continue }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/gearmand")
            process.arguments = ["--listen=127.0.0.1", "--port=\(candidate)", "--log-file=\(log.path)", "--threads=1"]
            let output = directory.appendingPathComponent("gearmand.out")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            for _ in 0..<200 where process.isRunning && !Self.accepts(candidate) { Thread.sleep(forTimeInterval: 0.05) }
            if Self.accepts(candidate) {
                self.process = process
                port = candidate
                return
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        throw TestFailure("gearmand did not start; see \(directory.path)/gearmand.out")
    }

    /// gearmand 1.1.20 can take many seconds over SIGTERM; nothing of it needs keeping.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    static func isFree(_ port: Int) -> Bool { !accepts(port) }

    static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Jobs queued, jobs in a worker's hands and workers connected, per queue, from gearmand's
    /// admin protocol.
    func status() -> [String: (queued: Int, running: Int, workers: Int)] {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected, write(descriptor, "status\n", 7) == 7 else { return [:] }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !reply.ends(with: Array(".\n".utf8)) {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            reply += buffer.prefix(count)
        }
        var result: [String: (Int, Int, Int)] = [:]
        for line in String(decoding: reply, as: UTF8.self).split(separator: "\n") where line != "." {
            let fields = line.split(separator: "\t")
            if fields.count >= 4, let total = Int(fields[1]), let running = Int(fields[2]), let workers = Int(fields[3]) {
                result[String(fields[0])] = (total - running, running, workers)
            }
        }
        return result
    }

    /// Whether no job is queued or in hand on any queue.
    var isIdle: Bool { status().values.allSatisfy { $0.queued == 0 && $0.running == 0 } }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// perfqd from the built binary (`swift build` first; scripts/test does).
func startPerfqd(_ arguments: [String], log: URL) throws -> Process {
    let process = Process()
    process.executableURL = repository.appendingPathComponent(".build/debug/perfqd")
    process.arguments = arguments
    if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

func stop(_ process: Process) {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
}

/// Waits until `condition` has held for `holding` seconds, or `timeout` passes.
func waitUntil(timeout: Double, holding: Double = 0.5, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    var heldSince: Date?
    while Date() < deadline {
        if condition() {
            if holding == 0 { return }
            if let since = heldSince, Date().timeIntervalSince(since) >= holding { return }
            heldSince = heldSince ?? Date()
        } else {
            heldSince = nil
        }
        Thread.sleep(forTimeInterval: holding == 0 ? 0.005 : 0.1)
    }
    throw TestFailure("gave up waiting after \(timeout) s")
}

/// What to look at when a wait gives up: gearmand's queues and perfqd's threads.
func diagnosis(_ gearmand: Gearmand, _ process: Process) -> String {
    var text = "gearmand: " + gearmand.status().map { "\($0.key) queued \($0.value.queued) running \($0.value.running)" }.joined(separator: "; ")
    if process.isRunning, FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") {
        let gdb = Process()
        gdb.executableURL = URL(fileURLWithPath: "/usr/bin/gdb")
        gdb.arguments = ["-p", "\(process.processIdentifier)", "-batch", "-ex", "thread apply all bt 12"]
        let output = Pipe()
        gdb.standardOutput = output
        gdb.standardError = FileHandle.nullDevice
        if (try? gdb.run()) != nil {
            let trace = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            gdb.waitUntilExit()
            text += "\nperfqd's threads:\n" + trace.split(separator: "\n").filter { $0.hasPrefix("#") || $0.hasPrefix("Thread") }.joined(separator: "\n")
        }
    }
    return text
}

/// Whether a spool holds no file waiting or claimed.
func isDrained(_ spool: URL) -> Bool {
    let waiting = ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).filter { $0.hasPrefix("perfdata.") }
    let claimed = ((try? FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent(".perfq-work").path)) ?? []).filter { $0.hasPrefix("perfdata.") }
    return waiting.isEmpty && claimed.isEmpty
}

func counters(_ store: URL) -> IngestCounters? {
    FileManager.default.contents(atPath: store.appendingPathComponent(".perfqd-stats.json").path)
        .flatMap { try? JSONDecoder().decode(IngestCounters.self, from: $0) }
}

/// Every file of a store (but the counters) with its bytes, by path inside the store.
func contents(_ root: URL) -> [String: Data] {
    var result: [String: Data] = [:]
    for case let relative as String in FileManager.default.enumerator(atPath: root.path) ?? FileManager.DirectoryEnumerator() {
        let url = root.appendingPathComponent(relative)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
              !relative.hasPrefix(".") else { continue }
        result[relative] = FileManager.default.contents(atPath: url.path)
    }
    return result
}

/// The store an uninterrupted spool run makes of `lines`: what the queue must give too.
func referenceStore(_ lines: [String], in directory: URL) throws -> URL {
    let spool = directory.appendingPathComponent("reference-spool")
    let store = directory.appendingPathComponent("reference-store")
    try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
    try (lines.joined(separator: "\n") + "\n").write(to: spool.appendingPathComponent("service-perfdata.1"), atomically: true, encoding: .utf8)
    let process = try startPerfqd(["--spool", spool.path, "--store", store.path, "--once"], log: directory.appendingPathComponent("reference.log"))
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("the reference run failed; see \(directory.path)/reference.log") }
    return store
}

/// A service check result as Mod-Gearman's default template writes it.
func serviceLine(host: String, service: String = "Load", time: Int64, perfdata: String) -> String {
    "DATATYPE::SERVICEPERFDATA\tTIMET::\(time)\tHOSTNAME::\(host)\tSERVICEDESC::\(service)\tSERVICEPERFDATA::\(perfdata)\tSERVICECHECKCOMMAND::check_load\tHOSTSTATE::UP\tHOSTSTATETYPE::HARD\tSERVICESTATE::OK\tSERVICESTATETYPE::HARD"
}

/// Check results at uneven seconds: `hosts` hosts, one a minute each for `rounds` minutes.
func checkResults(hosts: Int, rounds: Int, prefix: String = "host") -> [[String]] {
    let base = (Int64(Date().timeIntervalSince1970) / 60 - 6 * 60) * 60
    return (0..<rounds).map { round in
        (0..<hosts).map { host in
            let time = base + Int64(round * 60 + (host * 7) % 60)
            return serviceLine(host: "\(prefix)-\(host)", time: time,
                               perfdata: "load1=\(Double((round * 31 + host * 17) % 100) / 10);5;8;0 procs=\(100 + (round + host) % 9)")
        }
    }
}
