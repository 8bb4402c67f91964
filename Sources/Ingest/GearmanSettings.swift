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

    /// What is wrong with the settings, for a message that stops perfqd before it starts.
    public func validate() throws(ConfigurationError) {
        for server in servers {
            // libgearman cuts a server at its first ':', so an IPv6 address cannot be given.
            if server.hasPrefix("[") || server.filter({ $0 == ":" }).count > 1 {
                throw ConfigurationError(message: "gearman server '\(server)': libgearman takes no IPv6 address; give a host name that resolves to it")
            }
            let parts = server.split(separator: ":", omittingEmptySubsequences: false)
            let portIsValid = parts.count == 1 || (parts.count == 2 && UInt16(parts[1]).map { $0 > 0 } == true)
            guard !parts[0].isEmpty, portIsValid else {
                throw ConfigurationError(message: "gearman server '\(server)' is not HOST or HOST:PORT (a port from 1 to 65535)")
            }
        }
        guard !queues.isEmpty else { throw ConfigurationError(message: "no gearman queue to take jobs from") }
        for queue in queues where queue.isEmpty || queue.contains(where: { $0.isWhitespace || $0 == "\0" }) {
            throw ConfigurationError(message: "gearman queue name '\(queue)' is empty or holds spaces")
        }
        if !shards.isEmpty { _ = try ShardMap(shards) }
    }

    /// Takes a comma-separated list, leaving out empty entries.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
