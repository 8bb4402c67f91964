import Foundation

/// Where perfqd takes Mod-Gearman's perfdata jobs from, and how it reads them. The keys follow
/// mod_gearman's own (`encryption`, `key`, `keyfile`), so its settings can be copied over.
public struct GearmanSettings: Sendable, Equatable {
    /// `host:port` of each gearmand; empty when perfqd only watches the spool.
    public var servers: [String] = []
    public var queues = ["perfdata"]
    /// On by default, as in Mod-Gearman; then a key or key file is needed.
    public var encryption = true
    public var key: String?
    public var keyFile: String?
    /// Non-empty for a router: jobs are passed on to `<queue>_<shard>`, not stored.
    public var shards: [String] = []

    public init() {}

    public var isEnabled: Bool { !servers.isEmpty }
    public var serverList: String { servers.joined(separator: ",") }

    /// Takes a comma-separated list, leaving out empty entries.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
