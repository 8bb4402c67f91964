import Foundation

/// What perfqd has done since it started; written to `<store>/.perfqd-stats.json` after every
/// spool file, so it can be read while the daemon runs.
public struct IngestCounters: Codable, Sendable, Equatable {
    public var files = 0
    public var records = 0
    public var items = 0
    public var updates = 0
    /// Samples not newer than their series' last update.
    public var skipped = 0
    /// Samples refused: too far in the future, or refused by the engine.
    public var rejected = 0
    /// Lines and items that went to quarantine files.
    public var quarantined = 0
    public var failedFiles = 0
    public var createdSeries = 0
    /// Mod-Gearman jobs written into the spool, and those that could not be read (a wrong key).
    public var jobs = 0
    public var undecodableJobs = 0
    public var startedAt: Int64 = 0
    public var updatedAt: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case files, records, items, updates, skipped, rejected, quarantined
        case failedFiles = "failed_files", createdSeries = "created_series"
        case jobs, undecodableJobs = "undecodable_jobs"
        case startedAt = "started_at", updatedAt = "updated_at"
    }

    public init() {}

    public var summary: String {
        "\(files) files, \(records) records, \(items) items, \(updates) updates, \(skipped) skipped, \(rejected) rejected, \(quarantined) quarantined, \(failedFiles) failed files, \(createdSeries) new series"
            + (jobs + undecodableJobs > 0 ? ", \(jobs) gearman jobs, \(undecodableJobs) undecodable" : "")
    }
}
