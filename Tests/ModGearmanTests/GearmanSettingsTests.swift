import Foundation
import Ingest
import ModGearman
import Testing

@Suite struct GearmanSettingsTests {
    /// Mod-Gearman's own keys can be copied over; perfqd's say where gearmand is and what to take.
    @Test func theConfigurationFileSetsEverything() throws {
        let directory = temporaryDirectory("gearman-config")
        let keyFile = directory.appendingPathComponent("secret.key")
        try "from the file\n".write(to: keyFile, atomically: true, encoding: .utf8)
        let file = directory.appendingPathComponent("perfqd.cfg")
        try """
            gearman_servers = gm1:4730, gm2:4731
            gearman_queues = perfdata,perfdata_pnp
            keyfile = \(keyFile.path)
            shards = a,b
            """.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try IngestConfiguration.read(file.path)
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.gearman.servers == ["gm1:4730", "gm2:4731"])
        #expect(configuration.gearman.queues == ["perfdata", "perfdata_pnp"])
        #expect(configuration.gearman.shards == ["a", "b"])
        #expect(try configuration.gearman.resolvedKey() == ModGearmanKey("from the file"))
    }

    @Test func encryptionWithoutAKeyIsRefused() throws {
        var settings = GearmanSettings()
        settings.servers = ["localhost:4730"]
        let error = #expect(throws: JobPayloadError.self) { try settings.resolvedKey() }
        #expect(error?.message.contains("encryption = no") == true)
        settings.encryption = false
        #expect(try settings.resolvedKey() == nil)
        settings.encryption = true
        settings.key = "inline"
        #expect(try settings.resolvedKey() == ModGearmanKey("inline"))
    }

    /// A command line that cannot mean what it says stops perfqd before it starts, naming why.
    @Test(arguments: [
        (["--gearman", "localhost:4730", "--key", "k", "--no-encryption"], "--key and --no-encryption contradict"),
        (["--key-file", "secret.key"], "--key-file takes effect only with --gearman"),
        (["--queue", "perfdata_a"], "--queue takes effect only with --gearman"),
        (["--gearman", "localhost:4730", "--key", ""], "--key is empty"),
        (["--gearman", "[::1]:4730", "--key", "k"], "takes no IPv6 address"),
        (["--gearman", "localhost:4730", "--key", "k", "--route-to", "a,a"], "shard"),
        (["--gearman", "localhost:4730", "--key", "k", "--key-file", "secret.key"], "--key and --key-file contradict"),
        (["--gearman", "localhost:4730", "--gearman", "localhost:4731", "--key", "k"], "--gearman is given twice: give several as one comma-separated list"),
        (["--gearman", "localhost:4730", "--key", "k", "--route-to", "a,b"], "a router (--route-to) stores nothing"),
    ])
    func contradictoryArgumentsAreRefused(arguments: [String], message: String) throws {
        let directory = temporaryDirectory("gearman-arguments")
        let log = directory.appendingPathComponent("perfqd.log")
        let perfqd = try startPerfqd(arguments + ["--spool", directory.appendingPathComponent("spool").path,
                                                  "--store", directory.appendingPathComponent("store").path], log: log)
        perfqd.waitUntilExit()
        #expect(perfqd.terminationStatus == 2)
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(output.hasPrefix("perfqd: ") && output.contains(message), "\(output)")
    }
}
