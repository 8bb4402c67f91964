@testable import Ingest
import Testing

@Suite struct ShardMapTests {
    let hosts = (0..<20_000).map { "host-\($0).example.com" }

    @Test func hostsSpreadEvenly() throws {
        let map = try ShardMap(list: "a,b,c")
        var counts: [String: Int] = [:]
        for host in hosts { counts[map.shard(forHost: host), default: 0] += 1 }
        for shard in map.shards {
            #expect(abs(counts[shard, default: 0] - hosts.count / 3) < hosts.count / 30, "\(shard): \(counts[shard, default: 0])")
        }
    }

    /// Adding a shard moves hosts only onto it, about 1/N of them; removing it moves them back.
    @Test func aNewShardTakesOnlyItsShare() throws {
        let three = try ShardMap(list: "a,b,c")
        let four = try ShardMap(list: "a,b,c,d")
        var moved = 0
        for host in hosts where three.shard(forHost: host) != four.shard(forHost: host) {
            #expect(four.shard(forHost: host) == "d")
            moved += 1
        }
        #expect(abs(moved - hosts.count / 4) < hosts.count / 40)
        // The order shards are listed in does not matter.
        let shuffled = try ShardMap(list: "c,a,b")
        #expect(hosts.allSatisfy { three.shard(forHost: $0) == shuffled.shard(forHost: $0) })
    }

    /// The score must never change, or every site's hosts would move: a few assignments pinned.
    @Test func assignmentsAreStableAcrossReleases() throws {
        let map = try ShardMap(list: "a,b,c")
        let pinned = ["web-01": "b", "db-01": "b", "Disk host": "a", "localhost": "c", "win-01.example": "a"]
        for (host, shard) in pinned { #expect(map.shard(forHost: host) == shard, "\(host)") }
    }

    @Test func badMapsAreRefused() {
        #expect(throws: ConfigurationError.self) { try ShardMap(list: "") }
        #expect(throws: ConfigurationError.self) { try ShardMap(list: "a,a") }
        #expect(throws: ConfigurationError.self) { try ShardMap(list: "a,b c") }
    }
}
