import Perfdata
import Testing

@Suite struct SpoolParserTests {
    func parse(_ text: String) -> [Result<SpoolRecord, SpoolLineError>] {
        SpoolParser.parse(Array(text.utf8))
    }

    func records(_ text: String) throws -> [SpoolRecord] {
        try parse(text).map { try $0.get() }
    }

    let serviceLine = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h1\tSERVICEDESC::Disk /var\tSERVICEPERFDATA::/var=5MB;8;9;0;10\tSERVICECHECKCOMMAND::check_disk!20%\tHOSTSTATE::UP\tHOSTSTATETYPE::HARD\tSERVICESTATE::WARNING\tSERVICESTATETYPE::SOFT"

    @Test func nagiosServiceRecord() throws {
        let record = try #require(try records(serviceLine + "\n").first)
        #expect(record.kind == .service && record.time == 1_700_000_000)
        #expect(record.host.text == "h1" && record.service?.text == "Disk /var")
        #expect(record.serviceState == "WARNING" && record.serviceStateType == "SOFT")
        #expect(record.parsed.items.first?.maximum == 10)
        #expect(record.warnings.isEmpty)
    }

    @Test func npcdmodNumericStates() throws {
        let line = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h1\tSERVICEDESC::Load\tSERVICEPERFDATA::load1=0.5\tSERVICECHECKCOMMAND::check_load!5!8\tHOSTSTATE::0\tHOSTSTATETYPE::1\tSERVICESTATE::2\tSERVICESTATETYPE::0\n"
        let record = try #require(try records(line).first)
        #expect(record.hostState == "UP" && record.hostStateType == "HARD")
        #expect(record.serviceState == "CRITICAL" && record.serviceStateType == "SOFT")
    }

    @Test func unknownKeysAreIgnored() throws {
        let line = "DATATYPE::HOSTPERFDATA\tTIMET::1700000000\tHOSTNAME::h1\tHOSTOUTPUT::PING OK - rta 1ms\tGRAPHITEPREFIX::dc1\tNAGFLUX:TAG::a=b\tHOSTPERFDATA::rta=1ms;;;0\tHOSTCHECKCOMMAND::check-host-alive\tHOSTSTATE::UP\tHOSTSTATETYPE::HARD\n"
        let record = try #require(try records(line).first)
        #expect(record.kind == .host && record.service == nil)
        #expect(record.parsed.items.map(\.label.text) == ["rta"])
        #expect(record.warnings.isEmpty)
    }

    @Test func crlfAndMissingFinalNewline() throws {
        let all = try records(serviceLine + "\r\n" + serviceLine)
        #expect(all.count == 2)
        #expect(all[0].checkCommand?.text == "check_disk!20%" && all[0].warnings.isEmpty)
        #expect(all[1].serviceStateType == "SOFT")
        #expect(all[1].notes.contains { $0.contains("no newline") })
    }

    @Test func unusableLinesNameTheirLineAndReason() {
        let text = [
            serviceLine,
            "",
            "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tSERVICEDESC::x\tSERVICEPERFDATA::a=1",
            "DATATYPE::SERVICEPERFDATA\tHOSTNAME::h\tSERVICEDESC::x\tSERVICEPERFDATA::a=1",
            "DATATYPE::SERVICEPERFDATA\tTIMET::soon\tHOSTNAME::h\tSERVICEDESC::x\tSERVICEPERFDATA::a=1",
            "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h\tSERVICEPERFDATA::a=1",
            "DATATYPE::METRIC\tTIMET::1700000000\tHOSTNAME::h",
            "garbage",
            serviceLine,
        ].joined(separator: "\n") + "\n"
        let results = parse(text)
        let failures = results.compactMap { result -> SpoolLineError? in
            if case .failure(let error) = result { return error }
            return nil
        }
        #expect(failures.map(\.lineNumber) == [3, 4, 5, 6, 7, 8])
        #expect(failures[0].reason.contains("HOSTNAME"))
        #expect(failures[1].reason.contains("TIMET"))
        #expect(failures[2].reason.contains("soon"))
        #expect(failures[3].reason.contains("SERVICEDESC"))
        #expect(failures[4].reason.contains("METRIC"))
        let lines = results.compactMap { try? $0.get().lineNumber }
        #expect(lines == [1, 9])
    }

    @Test func commandSuffixInPerfdata() throws {
        let line = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h\tSERVICEDESC::x\tSERVICEPERFDATA::a=1 b=2 [check_remote]\tSERVICECHECKCOMMAND::check_nrpe!x\n"
        let record = try #require(try records(line).first)
        #expect(record.checkCommand?.text == "check_remote")
        #expect(record.parsed.items.map(\.label.text) == ["a", "b"])
    }

    @Test func uppercaseCheckMultiAfterPluginTab() throws {
        let line = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h\tSERVICEDESC::x\tSERVICEPERFDATA::a=1\tDISK::check_disk::root=5MB\tSERVICECHECKCOMMAND::check_multi\n"
        let record = try #require(try records(line).first)
        #expect(record.parsed.items.map(\.label.text) == ["a", "DISK::check_disk::root"])
        #expect(record.checkCommand?.text == "check_multi")
    }

    @Test func icinga2PerfdataWriterLine() throws {
        let line = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000123\tHOSTNAME::icinga-host\tSERVICEDESC::disk\tSERVICEPERFDATA::/=1024B;;;0;2048 If_global::check_iftable_global::time=0.07s If_global::check_iftable_global::uptime=451135s\tSERVICECHECKCOMMAND::disk\tHOSTSTATE::UP\tHOSTSTATETYPE::HARD\tSERVICESTATE::OK\tSERVICESTATETYPE::HARD\n"
        let record = try #require(try records(line).first)
        #expect(record.parsed.items.count == 3)
        #expect(record.parsed.items[2].label.text == "If_global::check_iftable_global::uptime")
    }

    @Test func fractionalTimeIsTruncated() throws {
        let line = "DATATYPE::HOSTPERFDATA\tTIMET::1700000000.75\tHOSTNAME::h\tHOSTPERFDATA::rta=1ms\n"
        #expect(try records(line).first?.time == 1_700_000_000)
    }
}

@Suite struct ReviewedSpoolTests {
    func records(_ text: String) throws -> [SpoolRecord] {
        try SpoolParser.parse(Array(text.utf8)).map { try $0.get() }
    }

    @Test func unknownKeysAfterPerfdataStayUnknown() throws {
        let line = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h\tSERVICEDESC::PING\tSERVICEPERFDATA::rta=0.44ms\tSERVICEOUTPUT::PING OK - Packet loss = 0%, RTA = 0.44 ms\tNAGFLUX:TAG::dc=eu\n"
        let record = try #require(try records(line).first)
        #expect(record.parsed.items.map(\.label.text) == ["rta"])
        #expect(record.warnings.isEmpty)
    }

    @Test func blankLinesAndPaddedFields() throws {
        let text = "   \n\t\t\nDATATYPE::SERVICEPERFDATA \tTIMET:: 1700000000\tHOSTNAME::h\tSERVICEDESC::s \tSERVICEPERFDATA::a=1\n"
        let all = try records(text)
        #expect(all.count == 1)
        #expect(all.first?.lineNumber == 3 && all.first?.service?.text == "s")
    }

    @Test func servicePerfdataWithoutDescriptionIsRejected() {
        let results = SpoolParser.parse(Array("TIMET::1700000000\tHOSTNAME::h\tSERVICEPERFDATA::a=1\n".utf8))
        guard case .failure(let error) = results.first else {
            Issue.record("accepted a service record without SERVICEDESC")
            return
        }
        #expect(error.reason.contains("SERVICEDESC"))
    }

    /// Many plugin TABs in one line: joining them must stay linear.
    @Test(.timeLimit(.minutes(1))) func manyTabsStayLinear() throws {
        let perfdata = (0..<200_000).map { "m\($0)=\($0)" }.joined(separator: "\t")
        let line = "DATATYPE::SERVICEPERFDATA\tTIMET::1700000000\tHOSTNAME::h\tSERVICEDESC::s\tSERVICEPERFDATA::\(perfdata)\tSERVICECHECKCOMMAND::c\n"
        let record = try #require(try records(line).first)
        #expect(record.parsed.items.count == 200_000)
        #expect(record.checkCommand?.text == "c")
    }
}
