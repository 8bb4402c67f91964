import Foundation

/// Which storage node keeps a host's series, when a site spreads perfdata over several.
///
/// Rendezvous hashing: every shard scores every host, and the host goes to the shard with the
/// highest score. A shard added takes about 1/N of the hosts, all of them from the others; a
/// shard removed gives only its own hosts away; every other host stays where it is. The score
/// function must never change, or hosts would move between stores: FNV-1a over the shard name,
/// a zero byte and the host name's bytes, then SplitMix64's finalizer to spread FNV's weak bits.
public struct ShardMap: Sendable, Equatable {
    public let shards: [String]

    public init(_ shards: [String]) throws(ConfigurationError) {
        guard !shards.isEmpty else { throw ConfigurationError(message: "a shard map needs at least one shard") }
        guard Set(shards).count == shards.count else {
            throw ConfigurationError(message: "shard names must differ: \(shards.joined(separator: ","))")
        }
        for shard in shards where shard.isEmpty || !shard.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
            throw ConfigurationError(message: "shard name '\(shard)' is not letters, digits, '-', '_' and '.': it becomes part of a queue name")
        }
        self.shards = shards
    }

    /// Reads `a,b,c`.
    public init(list: String) throws(ConfigurationError) {
        try self.init(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    public func shard(forHost host: some Collection<UInt8>) -> String {
        var best = shards[0]
        var bestScore = Self.score(shard: best, host: host)
        for shard in shards.dropFirst() {
            let score = Self.score(shard: shard, host: host)
            if score > bestScore || (score == bestScore && shard < best) {
                best = shard
                bestScore = score
            }
        }
        return best
    }

    public func shard(forHost host: String) -> String {
        shard(forHost: Array(host.utf8))
    }

    static func score(shard: String, host: some Collection<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ byte: UInt8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        for byte in shard.utf8 { add(byte) }
        add(0)
        for byte in host { add(byte) }
        var mixed = hash
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}
