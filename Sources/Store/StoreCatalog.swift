import Foundation
import Perfdata
import RoundRobin

/// One series as the store holds it, for listing and querying.
public struct StoredSeries: Sendable {
    public var host: String
    /// `_HOST_` for host checks.
    public var service: String
    public var label: String
    /// `<store>/<host>/<service>/<label>` without the `.rrd`.
    public var basePath: String
    public var metadata: SeriesMetadata?

    public var rrdPath: String { basePath + ".rrd" }
}

/// Reads what a store holds, without taking the writer's lock: perfq and perfqd can run at once.
public enum StoreCatalog {
    /// The hosts the store has series of: each name as the checks sent it, and its directory.
    public static func hosts(in root: URL) -> [(name: [UInt8], directory: String)] {
        let directories = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return directories.sorted().filter { !$0.hasPrefix(".") }.compactMap { directory in
            if let bytes = SeriesName.unescape(directory) { return (bytes, directory) }
            // A name too long to be a directory name: its series' metadata has it.
            return series(in: root).first { URL(fileURLWithPath: $0.basePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent == directory }
                .map { (Array($0.host.utf8), directory) }
        }
    }

    /// Every series, sorted by host, service and label; `host` and `service` narrow the list
    /// to those names.
    public static func series(in root: URL, host: String? = nil, service: String? = nil) -> [StoredSeries] {
        var found: [StoredSeries] = []
        let manager = FileManager.default
        for hostDirectory in ((try? manager.contentsOfDirectory(atPath: root.path)) ?? []).sorted() where !hostDirectory.hasPrefix(".") {
            let hostURL = root.appendingPathComponent(hostDirectory)
            for serviceDirectory in ((try? manager.contentsOfDirectory(atPath: hostURL.path)) ?? []).sorted() {
                let serviceURL = hostURL.appendingPathComponent(serviceDirectory)
                for file in ((try? manager.contentsOfDirectory(atPath: serviceURL.path)) ?? []).sorted() where file.hasSuffix(".rrd") {
                    let basePath = serviceURL.appendingPathComponent(String(file.dropLast(4))).path
                    let metadata = manager.contents(atPath: basePath + ".json").flatMap { try? JSONDecoder().decode(SeriesMetadata.self, from: $0) }
                    let entry = StoredSeries(
                        host: metadata?.host ?? text(hostDirectory),
                        service: metadata.map { $0.service ?? SeriesKey.hostCheckDirectory } ?? text(serviceDirectory),
                        label: metadata?.label ?? text(String(file.dropLast(4))),
                        basePath: basePath, metadata: metadata)
                    if let host, entry.host != host { continue }
                    if let service, entry.service != service { continue }
                    found.append(entry)
                }
            }
        }
        return found
    }

    /// The series named by host, service (`_HOST_` for the host check) and label, as written.
    public static func find(in root: URL, host: String, service: String, label: String) -> StoredSeries? {
        let key = SeriesKey(host: RawText(host), service: service == SeriesKey.hostCheckDirectory ? nil : RawText(service), label: RawText(label))
        let basePath = root.appendingPathComponent(key.relativePath).path
        if FileManager.default.fileExists(atPath: basePath + ".rrd") {
            let metadata = FileManager.default.contents(atPath: basePath + ".json").flatMap { try? JSONDecoder().decode(SeriesMetadata.self, from: $0) }
            return StoredSeries(host: host, service: service, label: label, basePath: basePath, metadata: metadata)
        }
        // Names that were not valid UTF-8 are stored by their bytes: look them up by their text.
        return series(in: root, host: host, service: service).first { $0.label == label }
    }

    private static func text(_ escaped: String) -> String {
        SeriesName.unescape(escaped).map { RawText(bytes: $0).text } ?? escaped
    }
}
