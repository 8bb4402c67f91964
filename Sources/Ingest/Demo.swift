import Foundation
import Perfdata
import RoundRobin
import Store

/// `perfq demo`: the main job on the shipped samples. Copies their spool files into a spool
/// directory, runs perfqd over it once into a fresh store, and reports what was stored.
public enum Demo {
    public static func run(samples: URL, workspace: URL) throws -> String {
        let spool = workspace.appendingPathComponent("spool")
        let store = workspace.appendingPathComponent("store")
        try? FileManager.default.removeItem(at: workspace)
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        var copied: [String: Int] = [:]
        for case let relative as String in FileManager.default.enumerator(atPath: samples.path) ?? FileManager.DirectoryEnumerator() {
            let name = (relative as NSString).lastPathComponent
            guard SpoolDirectory.isSpoolFile(name) else { continue }
            let folder = (relative as NSString).deletingLastPathComponent
            // Names are unique across the sample folders: their rotation times differ.
            try FileManager.default.copyItem(at: samples.appendingPathComponent(relative), to: spool.appendingPathComponent(name))
            copied[folder.isEmpty ? "." : folder, default: 0] += 1
        }
        guard !copied.isEmpty else { throw ConfigurationError(message: "\(samples.path): no spool files (host-perfdata.*, service-perfdata.*) in it") }

        var configuration = IngestConfiguration()
        configuration.spoolDirectory = spool.path
        configuration.storeDirectory = store.path
        configuration.logLevel = .error
        configuration.store.synchronous = false
        let clock = ContinuousClock()
        var status: Int32 = 0
        let elapsed = clock.measure {
            status = Daemon(configuration: configuration, configurationPath: nil, once: true).run()
        }
        guard status == 0 else { throw ConfigurationError(message: "perfqd stopped with status \(status)") }
        let counters = try JSONDecoder().decode(IngestCounters.self, from: Data(contentsOf: store.appendingPathComponent(".perfqd-stats.json")))

        var lines = ["perfq demo: the shipped samples through perfqd into a fresh store", ""]
        for (folder, count) in copied.sorted(by: { $0.key < $1.key }) {
            lines.append("  spool files from Samples/\(folder): \(count)")
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        lines.append(String(format: "  stored in %.2f s: %@", seconds, counters.summary))
        lines.append("")
        lines.append(contentsOf: try storedSeries(store))
        lines.append("")
        lines.append("  store:  \(store.path)  (one rrdtool file per metric, with its .json metadata and .samples)")
        lines.append("  spool:  \(spool.path)  (emptied; failed/ and quarantine/ hold what could not be used)")
        if let example = try exampleFile(store) {
            lines.append("  try:    rrdtool info '\(example)'   or   swift run perfq rrd lastupdate '\(example)'")
        }
        return lines.joined(separator: "\n")
    }

    /// One line per host and service: its labels, and each label's last reading.
    static func storedSeries(_ store: URL) throws -> [String] {
        var lines: [String] = []
        let hosts = try FileManager.default.contentsOfDirectory(atPath: store.path).filter { !$0.hasPrefix(".") }.sorted()
        for host in hosts {
            let services = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent(host).path).sorted()
            lines.append("  \(unescaped(host)): \(services.count) services")
            for service in services {
                let directory = store.appendingPathComponent(host).appendingPathComponent(service)
                let labels = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".rrd") }.sorted()
                let readings = labels.compactMap { name -> String? in
                    guard let file = try? RoundRobinFile(path: directory.appendingPathComponent(name).path) else { return nil }
                    return "\(unescaped(String(name.dropLast(4))))=\(file.lastReading(0))"
                }
                lines.append("    \(unescaped(service)): \(readings.joined(separator: " "))")
            }
        }
        return lines
    }

    static func exampleFile(_ store: URL) throws -> String? {
        for case let relative as String in FileManager.default.enumerator(atPath: store.path) ?? FileManager.DirectoryEnumerator()
        where relative.hasSuffix("Total Tasks.rrd") || relative.hasSuffix("load1.rrd") {
            return store.appendingPathComponent(relative).path
        }
        return nil
    }

    static func unescaped(_ name: String) -> String {
        SeriesName.unescape(name).map { RawText(bytes: $0).text } ?? name
    }
}
