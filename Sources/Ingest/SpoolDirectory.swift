import Foundation
import Store

/// The spool directory Nagios (or Icinga 2) moves bulk perfdata files into, and perfqd's places
/// beside them: `.perfq-work/` for the file being processed, `failed/` for files that could not be
/// used, `quarantine/` for the lines that could not.
public struct SpoolDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var workPath: String { path + "/.perfq-work" }
    public var failedPath: String { path + "/failed" }
    public var quarantinePath: String { path + "/quarantine" }

    public func prepare() throws {
        for directory in [path, workPath, failedPath, quarantinePath] {
            try createDirectories(directory)
        }
    }

    /// Whether a name is a rotated perfdata file: `host-perfdata.<epoch>`, `service-perfdata.<epoch>`,
    /// npcdmod's `perfdata.<epoch>`, not the live file Nagios still writes, not one another process
    /// claimed (`-PID-`), not a temporary file.
    public static func isSpoolFile(_ name: String) -> Bool {
        guard !name.contains("-PID-"), !name.hasSuffix(".tmp") else { return false }
        for prefix in ["host-perfdata.", "service-perfdata.", "perfdata."] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            return !rest.isEmpty && rest.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return false
    }

    /// Oldest first: by the time in the name (seconds in Nagios's names, microseconds in those
    /// perfqd writes for Mod-Gearman's jobs), then host before service files.
    static func order(_ a: String, _ b: String) -> Bool {
        let timeA = time(a)
        let timeB = time(b)
        return timeA != timeB ? timeA < timeB : a < b
    }

    /// A number of more than eleven digits is no time in seconds before the year 5000.
    static func time(_ name: String) -> Double {
        let number = Double(name.split(separator: ".").last ?? "") ?? 0
        return number >= 100_000_000_000 ? number / 1_000_000 : number
    }

    /// The spool files ready to be taken, oldest first. A file is ready when inotify announced it
    /// (`announced`) or it is at least `minimumAge` seconds old. Only the oldest files up to the
    /// first one not ready are returned: a newer file taken before an older one would make the
    /// older one's samples "not newer" than their series' last update, and they would be lost.
    public func readyFiles(announced: Set<String>, minimumAge: Double) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        let now = Date()
        let waiting = names.filter { Self.isSpoolFile($0) && Self.isRegularFile(path + "/" + $0) }.sorted(by: Self.order)
        return Array(waiting.prefix { name in
            if announced.contains(name) || minimumAge <= 0 { return true }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name),
                  let modified = attributes[.modificationDate] as? Date else { return false }
            return now.timeIntervalSince(modified) >= minimumAge
        })
    }

    /// Whether a spool file is there that is not yet old enough to be taken.
    public func hasWaitingFiles() -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).contains { Self.isSpoolFile($0) && Self.isRegularFile(path + "/" + $0) }
    }

    /// Files claimed before a crash (or a store failure), to be processed first, in order.
    public func claimedFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: workPath)) ?? []).filter(Self.isSpoolFile).sorted(by: Self.order)
    }

    /// Not a symbolic link, a directory or a device: only plain files are taken.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Takes the spool for this process alone; nil when another perfqd has it. A second daemon
    /// would take up the first one's claimed files as if it had crashed.
    public func lockExclusively() -> Int32? {
        let descriptor = open(workPath + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Takes a file by renaming it into the work directory: whoever renames first has it.
    public func claim(_ name: String) -> Bool {
        rename(path + "/" + name, workPath + "/" + name) == 0
    }
}
