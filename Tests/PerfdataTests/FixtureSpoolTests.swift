import Foundation
import Perfdata
import Testing

/// The real spool lines Nagios 4.4.6 wrote (shared/specs/fixtures), and what PNP4Nagios 0.6.26
/// made of two of them.
@Suite struct FixtureSpoolTests {
    func records(_ name: String) throws -> [SpoolRecord] {
        let results = SpoolParser.parse([UInt8](try SharedFiles.contents("specs/fixtures/\(name)")))
        return try results.map { try $0.get() }
    }

    func record(_ service: String) throws -> SpoolRecord {
        try #require(try records("nagios-4.4.6_service-perfdata.spool").first { $0.service?.text == service })
    }

    @Test func everyServiceLineIsARecord() throws {
        let all = try records("nagios-4.4.6_service-perfdata.spool")
        #expect(all.count == 14)
        #expect(all.map(\.lineNumber) == Array(1...14))
        for record in all {
            #expect(record.kind == .service)
            #expect(record.host.text == "web-01.example")
            #expect(record.hostState == "UP" && record.hostStateType == "HARD")
            #expect(record.serviceStateType == "HARD")
            #expect((1_796_311_775...1_796_311_780).contains(record.time))
            #expect(record.checkCommand != nil)
        }
    }

    @Test func hostLines() throws {
        let all = try records("nagios-4.4.6_host-perfdata.spool")
        #expect(all.map(\.host.text) == ["pinghost", "web-01.example"])
        for record in all {
            #expect(record.kind == .host && record.service == nil)
            #expect(record.parsed.items.map(\.label.text) == ["rta", "pl"])
        }
        #expect(all[0].parsed.items[0].value == 0.023)
        #expect(all[0].parsed.items[0].unit.text == "ms")
        #expect(all[1].commandName?.text == "check_weird")
        #expect(all[1].parsed.items[1].maximum == 100)
    }

    @Test func diskInBytes() throws {
        let disk = try record("Disk /")
        #expect(disk.checkCommand?.text == "check_disk!20%!10%!/")
        #expect(disk.commandName?.text == "check_disk")
        let item = try #require(disk.parsed.items.first)
        #expect(item.label.text == "/" && item.value == 17_926_455_296 && item.unit.text == "B")
        #expect(item.maximum == 270_552_530_944)
    }

    @Test func latin1LabelKeepsItsByte() throws {
        let item = try #require(try record("Weird nonutf8").parsed.items.first)
        #expect(item.label.bytes == [0x74, 0x65, 0x6D, 0x70, 0xE4])
        #expect(item.label.text == "tempä")
        #expect(item.value == 21.5 && item.unit.text == "C")
    }

    @Test func pluginTabIsJoinedBack() throws {
        let tab = try record("Weird tab")
        #expect(tab.parsed.items.map(\.label.text) == ["a", "b"])
        #expect(tab.checkCommand?.text == "check_weird!tab")
        #expect(!tab.notes.isEmpty)
    }

    @Test func quotedLabelsIncludingEquals() throws {
        let items = try record("Weird quoted").parsed.items
        #expect(items.map(\.label.text) == ["C:\\ used %", "it's", "a=b", "Total Tasks"])
    }

    @Test func checkMultiBlocks() throws {
        let items = try record("Weird multi").parsed.items
        #expect(items.map(\.label.text) == [
            "check_multi::check_multi::plugins", "check_multi::check_multi::time",
            "disk_root::check_disk::/", "load::check_load::load1", "load::check_load::load5",
        ])
        #expect(items[2].checkMultiGroup?.service.text == "disk_root")
        #expect(items[2].checkMultiGroup?.plugin.text == "check_disk")
    }

    @Test func emptyPerfdataIsARecordWithoutItems() throws {
        let empty = try record("Weird empty")
        #expect(empty.parsed.items.isEmpty && empty.warnings.isEmpty)
    }

    @Test func duplicateLabelKeepsTheFirst() throws {
        let dupe = try record("Weird dupe")
        #expect(dupe.parsed.items.map(\.value) == [1])
        #expect(dupe.parsed.hasRejectedInput)
    }

    /// PNP4Nagios's XML for the same lines names the labels, values and thresholds it read.
    @Test(arguments: [("Weird thresholds", "pnp-0.6.26_Weird_thresholds.xml"), ("Weird wintasks", "pnp-0.6.26_Weird_wintasks.xml")])
    func agreesWithPNP(service: String, xmlName: String) throws {
        let xml = String(decoding: try SharedFiles.contents("specs/fixtures/\(xmlName)"), as: UTF8.self)
        let blocks = xml.components(separatedBy: "<DATASOURCE>").dropFirst().map { $0.components(separatedBy: "</DATASOURCE>")[0] }
        func field(_ block: String, _ name: String) -> String {
            guard let open = block.range(of: "<\(name)>"), let close = block.range(of: "</\(name)>") else { return "" }
            return String(block[open.upperBound..<close.lowerBound])
        }
        let items = try record(service).parsed.items
        #expect(items.count == blocks.count)
        for (item, block) in zip(items, blocks) {
            #expect(item.label.text == field(block, "LABEL"))
            #expect(item.value == Double(field(block, "ACT")))
            #expect(item.minimum == Double(field(block, "MIN")))
            #expect(item.maximum == Double(field(block, "MAX")))
            let warnMax = field(block, "WARN").isEmpty ? field(block, "WARN_MAX") : field(block, "WARN")
            #expect(item.warning?.end == Double(warnMax))
            let critMax = field(block, "CRIT").isEmpty ? field(block, "CRIT_MAX") : field(block, "CRIT")
            #expect(item.critical?.end == Double(critMax))
            #expect((item.warning?.alertsInside ?? false) == (field(block, "WARN_RANGE_TYPE") == "inside"))
        }
    }
}
