import Foundation
import Ingest
import Testing

@Suite struct SpoolDirectoryTests {
    /// A file found by a scan waits until it is old enough; newer files, even announced ones, wait
    /// behind it, or its samples would come after theirs and be skipped as not newer.
    @Test func aYoungerFileNeverOvertakesAnOlderOne() throws {
        let root = temporaryDirectory("spool-order")
        let spool = SpoolDirectory(path: root.path)
        try spool.prepare()
        for name in ["service-perfdata.100", "service-perfdata.200", "perfdata.300"] {
            _ = FileManager.default.createFile(atPath: root.appendingPathComponent(name).path, contents: Data("x\n".utf8))
        }
        #expect(spool.readyFiles(announced: ["service-perfdata.200", "perfdata.300"], minimumAge: 60).isEmpty)
        #expect(spool.readyFiles(announced: ["service-perfdata.100", "perfdata.300"], minimumAge: 60) == ["service-perfdata.100"])
        #expect(spool.readyFiles(announced: [], minimumAge: 0) == ["service-perfdata.100", "service-perfdata.200", "perfdata.300"])
        let old = Date().addingTimeInterval(-120)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root.appendingPathComponent("service-perfdata.100").path)
        #expect(spool.readyFiles(announced: ["perfdata.300"], minimumAge: 60) == ["service-perfdata.100"])
    }

    /// perfqd names the files of Mod-Gearman's jobs in microseconds; Nagios names its in seconds.
    @Test func namesInSecondsAndMicrosecondsSortByTime() throws {
        let root = temporaryDirectory("spool-units")
        let spool = SpoolDirectory(path: root.path)
        try spool.prepare()
        let names = ["perfdata.1764000001000001", "service-perfdata.1764000001", "perfdata.1764000000999999", "host-perfdata.1764000002"]
        for name in names { _ = FileManager.default.createFile(atPath: root.appendingPathComponent(name).path, contents: Data("x\n".utf8)) }
        #expect(spool.readyFiles(announced: [], minimumAge: 0) == ["perfdata.1764000000999999", "service-perfdata.1764000001", "perfdata.1764000001000001", "host-perfdata.1764000002"])
    }
}
