import Foundation
import Perfdata
import Store

/// Turns claimed spool files into store updates, one file at a time: parse, store, quarantine
/// what could not be used, and only then remove the file.
public final class SpoolProcessor: @unchecked Sendable {
    public let spool: SpoolDirectory
    public let store: Store
    let logger: Logger
    public private(set) var counters = IngestCounters()
    private let statisticsPath: String

    public init(spool: SpoolDirectory, store: Store, logger: Logger) {
        self.spool = spool
        self.store = store
        self.logger = logger
        counters.startedAt = Int64(Date().timeIntervalSince1970)
        statisticsPath = store.root.appendingPathComponent(".perfqd-stats.json").path
    }

    /// Processes a file already claimed into the work directory.
    public func process(_ name: String, now: Int64 = Int64(Date().timeIntervalSince1970)) {
        let path = spool.workPath + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            fail(name, because: "cannot read the file")
            return
        }
        var samples: [StoreSample] = []
        var quarantine: [String] = []
        var records = 0
        var items = 0
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        func original(_ lineNumber: Int) -> String {
            lineNumber <= lines.count ? RawText(bytes: Array(lines[lineNumber - 1])).text : ""
        }
        [UInt8](data).withUnsafeBufferPointer { contents in
            SpoolParser.parse(contents) { result in
                switch result {
                case .failure(let error):
                    quarantine.append("\(name):\(error.lineNumber): \(error.reason)\n\t\(original(error.lineNumber))")
                case .success(let record):
                    records += 1
                    items += record.parsed.items.count
                    for warning in record.parsed.warnings where warning.effect.rejectsInput {
                        quarantine.append("\(name):\(record.lineNumber): perfdata \(warning)\n\t\(original(record.lineNumber))")
                    }
                    for item in record.parsed.items {
                        let key = SeriesKey(host: record.host, service: record.kind == .service ? record.service : nil, label: item.label)
                        samples.append(StoreSample(key: key, time: record.time, item: item, command: record.checkCommand))
                    }
                }
            }
        }
        if records == 0 && !quarantine.isEmpty {
            fail(name, because: "no line of it is a perfdata record:\n" + quarantine.prefix(5).joined(separator: "\n"))
            return
        }
        let outcome: BatchOutcome
        do {
            outcome = try store.apply(samples, now: now)
        } catch {
            logger.error("\(name): the store failed: \(error); the file goes to \(spool.failedPath) and can be moved back into the spool once that is mended")
            store.rollBack()
            fail(name, because: "the store failed: \(error)")
            return
        }
        quarantine += outcome.rejected.map { "\(name): \($0)" }
        if !quarantine.isEmpty {
            let text = quarantine.joined(separator: "\n") + "\n"
            do {
                try Store.writeAtomically(Data(text.utf8), to: spool.quarantinePath + "/" + name, synchronous: store.options.synchronous)
            } catch {
                logger.error("\(name): cannot write its quarantine file: \(error)")
            }
            for entry in quarantine.prefix(20) { logger.info("quarantined \(entry.split(separator: "\n").first ?? "")") }
        }
        if unlink(path) != 0 {
            logger.error("\(name): cannot remove \(path) after storing it: \(String(cString: strerror(errno)))")
        }
        counters.files += 1
        counters.records += records
        counters.items += items
        counters.updates += outcome.updates
        counters.skipped += outcome.skipped
        counters.rejected += outcome.rejected.count
        counters.quarantined += quarantine.count
        counters.createdSeries += outcome.createdSeries
        logger.info("\(name): \(records) records, \(outcome.updates) updates, \(outcome.skipped) not newer, \(outcome.rejected.count) refused, \(quarantine.count) quarantined")
        writeCounters()
    }

    /// Moves a file that could not be used at all to `failed/`, with a note of why beside it.
    private func fail(_ name: String, because reason: String) {
        counters.failedFiles += 1
        let note = spool.failedPath + "/" + name + ".reason"
        try? Store.writeAtomically(Data((reason + "\n").utf8), to: note, synchronous: store.options.synchronous)
        if rename(spool.workPath + "/" + name, spool.failedPath + "/" + name) != 0 {
            logger.error("\(name): cannot move it to \(spool.failedPath): \(String(cString: strerror(errno)))")
        }
        logger.error("\(name): moved to \(spool.failedPath): \(reason.split(separator: "\n").first ?? "")")
        writeCounters()
    }

    func writeCounters() {
        counters.updatedAt = Int64(Date().timeIntervalSince1970)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? encoder.encode(counters) {
            try? Store.writeAtomically(data, to: statisticsPath, synchronous: false)
        }
    }
}
