import Foundation
import Testing

/// `perfq` as users run it: output, stderr and exit status. Needs the built binary
/// (`swift build` first; scripts/test does).
@Suite struct PerfqCommandTests {
    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/perfq")

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    static func perfq(_ arguments: [String], input: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput
        try process.run()
        if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
        try standardInput.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
    }

    @Test func perfdataAsJSON() throws {
        let run = try Self.perfq(["parse", "--perfdata", "load1=1.350;5;8;0; 'a b'=U c=0,50"])
        #expect(run.status == 0 && run.error.isEmpty)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let items = try #require(json["items"] as? [[String: Any]])
        #expect(items.count == 3)
        #expect(items[0]["label"] as? String == "load1" && items[0]["value"] as? Double == 1.35)
        #expect((items[0]["warn"] as? [String: Any])?["end"] as? Double == 5)
        #expect(items[1]["value"] is NSNull)
        // The text rrdtool is given: as written (rrdtool stores it as last_ds), a comma made a point.
        #expect(items.map { $0["value_text"] as? String } == ["1.350", "U", "0.50"])
        #expect((json["warnings"] as? [Any])?.count == 1)
    }

    @Test func droppedItemsExitOneAndSayWhy() throws {
        let run = try Self.perfq(["parse", "--perfdata", "ok=1 bad=UP"])
        #expect(run.status == 1)
        #expect(run.error.contains("bad=UP"))
        #expect(run.output.contains("\"ok\""))
    }

    @Test func spoolFileNamesLineAndReason() throws {
        let text = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h\tSERVICEDESC::s\tSERVICEPERFDATA::a=1\nDATATYPE::SERVICEPERFDATA\tHOSTNAME::h\tSERVICEDESC::s\tSERVICEPERFDATA::a=1\n"
        let run = try Self.perfq(["parse", "-"], input: text)
        #expect(run.status == 1)
        #expect(run.error.contains("<stdin>:2: no TIMET"))
        let lines = run.output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"line\":1") && lines[1].contains("\"error\""))
    }

    @Test func cleanSpoolFileExitsZero() throws {
        let text = "DATATYPE::HOSTPERFDATA\tTIMET::1700000000\tHOSTNAME::h\tHOSTPERFDATA::rta=1ms;100;200;0\n"
        let run = try Self.perfq(["parse", "-"], input: text)
        #expect(run.status == 0 && run.error.isEmpty)
    }

    @Test(arguments: [["parse"], ["parse", "--bogus", "x"], ["nonsense"], [], ["parse", "/nonexistent/spool"], ["demo", "--samples", "/nonexistent"]])
    func badUsageExitsTwo(_ arguments: [String]) throws {
        let run = try Self.perfq(arguments)
        #expect(run.status == 2, "\(arguments): \(run.error)")
        #expect(run.error.hasPrefix("perfq: "))
    }

    /// A window that ends before it starts, and a resolution that is not a number, are refused
    /// as rrdtool fetch refuses them, before the store is searched (fetch shares the checks).
    @Test func badWindowsAndResolutionsAreRefused() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-empty-store-\(getpid())")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: store) }
        for command in [["export", "h", "s", "--format", "highcharts"], ["page", "h", "s", "-o", "/nonexistent/page.html"]] {
            let backwards = try Self.perfq(command + ["--store", store.path, "-s", "1793583659", "-e", "1793582659"])
            #expect(backwards.status == 2 && backwards.error.contains("start (1793583659) should be less than end (1793582659)"), "\(command[0]): \(backwards.error)")
            let early = try Self.perfq(command + ["--store", store.path, "-s", "100", "-e", "200"])
            #expect(early.status == 2 && early.error.contains("after 1980"), "\(command[0]): \(early.error)")
            for resolution in ["abc", "0", "-5"] {
                let run = try Self.perfq(command + ["--store", store.path, "-s", "1793582659", "-e", "1793583659", "-r", resolution])
                #expect(run.status == 2 && run.error.contains("--resolution takes a number of seconds"), "\(command[0]) -r \(resolution): \(run.error)")
            }
        }
    }

    @Test func fullDiskIsAnErrorNotACrash() throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["parse", "--perfdata", "a=1"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
    }
}
