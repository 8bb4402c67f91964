import Foundation
@testable import ModGearman
import Testing

@Suite struct JobPayloadTests {
    let line = serviceLine(host: "web-01", time: 1_764_000_000, perfdata: "'Total Tasks'=45;;;0 load1=0.42;5;8;0")

    /// openssl, not our code, encrypts: the key shaped as mod_gearman shapes it, the line with its
    /// NUL, zero-padded to whole blocks, AES-256-ECB without padding, base64 on one line.
    static func opensslPayload(_ text: String, key: String) throws -> [UInt8] {
        var keyBytes = Array(key.utf8.prefix(32))
        keyBytes += Array(repeating: 0, count: 32 - keyBytes.count)
        var plain = Array(text.utf8) + [0]
        plain += Array(repeating: 0, count: (16 - plain.count % 16) % 16)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["enc", "-aes-256-ecb", "-nopad", "-a", "-A", "-K", keyBytes.map { String(format: "%02x", $0) }.joined()]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(plain))
        try input.fileHandleForWriting.close()
        let encoded = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl enc failed") }
        return Array(encoded).filter { $0 != UInt8(ascii: "\n") }
    }

    @Test func opensslEncryptedJobDecodes() throws {
        let payload = try Self.opensslPayload(line, key: "should_be_changed")
        #expect(try JobPayload.text(of: payload, key: ModGearmanKey("should_be_changed")) == Array(line.utf8))
        // And what we send, playing Mod-Gearman, is what openssl makes.
        #expect(JobPayload.encode(Array(line.utf8), key: ModGearmanKey("should_be_changed")) == payload)
    }

    @Test func aKeyIsCutOrPaddedTo32Bytes() throws {
        let long = String(repeating: "k", count: 40)
        #expect(ModGearmanKey(long).bytes == Array(repeating: UInt8(ascii: "k"), count: 32))
        #expect(ModGearmanKey("abc").bytes == Array("abc".utf8) + Array(repeating: 0, count: 29))
        let payload = try Self.opensslPayload(line, key: long)
        #expect(try JobPayload.text(of: payload, key: ModGearmanKey(String(repeating: "k", count: 32))) == Array(line.utf8))
    }

    @Test func aKeyFileGivesItsFirstLineTrimmed() throws {
        let file = temporaryDirectory("keyfile").appendingPathComponent("secret.key")
        try "  s3cret value  \r\nsecond line\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try ModGearmanKey(contentsOfFile: file.path) == ModGearmanKey("  s3cret value"))
        #expect(throws: JobPayloadError.self) { try ModGearmanKey(contentsOfFile: file.path + ".missing") }
    }

    @Test func unencryptedJobsAreBase64OrPlain() throws {
        #expect(try JobPayload.text(of: JobPayload.encode(Array(line.utf8), key: nil), key: nil) == Array(line.utf8))
        #expect(try JobPayload.text(of: Array((line + "\n").utf8), key: nil) == Array(line.utf8))
        // Base64 of the line without the NUL, as nagflux-style senders do, and with a line break.
        let encoded = Array(Data((line + "\n").utf8).base64EncodedString(options: .lineLength64Characters).utf8)
        #expect(try JobPayload.text(of: encoded, key: nil) == Array(line.utf8))
    }

    /// The text ends at its terminating NUL, as Mod-Gearman's C workers read it: what follows a
    /// NUL inside the padding never reaches the parser.
    @Test func theTextEndsAtItsFirstNUL() throws {
        let payload = JobPayload.encode(Array(line.utf8) + [0] + Array(" b=2".utf8), key: ModGearmanKey("k"))
        #expect(try JobPayload.text(of: payload, key: ModGearmanKey("k")) == Array(line.utf8))
    }

    @Test func aWrongKeyIsReportedWithAHint() throws {
        let payload = JobPayload.encode(Array(line.utf8), key: ModGearmanKey("the right key"))
        let error = #expect(throws: JobPayloadError.self) { try JobPayload.text(of: payload, key: ModGearmanKey("a wrong key")) }
        #expect(error?.message.contains("key") == true)
        // Encrypted jobs read without a key.
        let noKey = #expect(throws: JobPayloadError.self) { try JobPayload.text(of: payload, key: nil) }
        #expect(noKey?.message.contains("same key") == true)
    }

    @Test func withAKeyOnlyEncryptedJobsAreTaken() {
        let plain = #expect(throws: JobPayloadError.self) { try JobPayload.text(of: Array(line.utf8), key: ModGearmanKey("k")) }
        #expect(plain?.message.contains("not encrypted") == true)
        let base64 = JobPayload.encode(Array(line.utf8), key: nil)
        #expect(throws: JobPayloadError.self) { try JobPayload.text(of: base64, key: ModGearmanKey("k")) }
    }

    @Test func aKeyFileNeedNotBeUTF8() throws {
        let file = temporaryDirectory("keyfile").appendingPathComponent("latin1.key")
        try Data([0x63, 0x61, 0x66, 0xe9, 0x0b, 0x0a]).write(to: file)
        #expect(try ModGearmanKey(contentsOfFile: file.path).bytes == [0x63, 0x61, 0x66, 0xe9] + Array(repeating: 0, count: 28))
    }

    @Test func theIntakeGivesBackWholeRecordsOnly() throws {
        let path = temporaryDirectory("intake").appendingPathComponent("gearman-intake").path
        var intake = JobIntake(path: path)
        let jobs = [HeldJob(queue: "perfdata", unique: "u1", payload: Array("a\nb".utf8)),
                    HeldJob(queue: "perfdata_x", unique: "", payload: Array(repeating: 0x41, count: 5000))]
        for job in jobs { try intake.append(job) }
        #expect(intake.recover() == jobs)
        // A kill in the middle of the last write.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.dropLast(7).write(to: URL(fileURLWithPath: path))
        #expect(intake.recover() == [jobs[0]])
        try intake.clear()
        #expect(intake.recover().isEmpty)
    }

    @Test func malformedJobsAreRefused() {
        #expect((#expect(throws: JobPayloadError.self) { try JobPayload.text(of: [0, 0], key: ModGearmanKey("k")) })?.message == "the job is empty")
        #expect(throws: JobPayloadError.self) { try JobPayload.text(of: Array("%%% not base64 %%%".utf8), key: nil) }
        #expect(throws: JobPayloadError.self) { try JobPayload.text(of: [], key: nil) }
        #expect(throws: JobPayloadError.self) { try JobPayload.text(of: JobPayload.encode(Array("no fields here".utf8), key: nil), key: nil) }
    }

    @Test func checkTimeIsReadForOrdering() {
        #expect(JobReceiver.checkTime(Array(line.utf8)[...]) == 1_764_000_000)
        #expect(JobReceiver.checkTime(Array("HOSTNAME::x\tSERVICEDESC::y".utf8)[...]) == .min)
    }
}
