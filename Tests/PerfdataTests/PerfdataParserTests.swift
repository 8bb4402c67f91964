import Perfdata
import Testing

/// Inputs from the bug log (shared/specs/perfdata-and-spool.md §5) beyond the shared cases.
@Suite struct PerfdataParserTests {
    func labels(_ parsed: ParsedPerfdata) -> [String] { parsed.items.map(\.label.text) }

    @Test func decimalCommaInThresholdsAndBounds() throws {
        let parsed = PerfdataParser.parse("offset=-0,082044s;0,500000;1,000000;")
        let item = try #require(parsed.items.first)
        #expect(item.value == -0.082044 && item.valueText == "-0.082044")
        #expect(item.warning?.end == 0.5 && item.critical?.end == 1)
        #expect(!parsed.hasRejectedInput)
        #expect(parsed.warnings.count == 1, "the decimal comma is noted")
    }

    @Test func oddThresholdLosesOnlyThatField() throws {
        let parsed = PerfdataParser.parse("CpuIdle=99.75%;0,0;0; other=1;abc;5;x;7")
        #expect(labels(parsed) == ["CpuIdle", "other"])
        #expect(parsed.items[0].warning?.end == 0)
        let other = parsed.items[1]
        #expect(other.warning == nil && other.critical?.end == 5 && other.minimum == nil && other.maximum == 7)
        #expect(parsed.warnings.filter { $0.effect == .fieldIgnored }.count == 2)
    }

    @Test func commaSeparatedItems() {
        let parsed = PerfdataParser.parse("mem_inactive=14287416kB, vmem_pageins/s=0, vmem_pageouts/s=0")
        #expect(labels(parsed) == ["mem_inactive", "vmem_pageins/s", "vmem_pageouts/s"])
        #expect(parsed.items[0].unit.text == "kB")
        #expect(!parsed.hasRejectedInput)
    }

    @Test func exponentsAndTinyNumbers() {
        let parsed = PerfdataParser.parse("'d:\\ Used Space'=161018323927.04B;9.56693e+11;1.07628e+12;0;1.19586e+12 vus=9.9999999999999991e-06s t=-7.22636468709e-05")
        #expect(parsed.items[0].warning?.end == 956_693_000_000)
        #expect(parsed.items[0].maximum == 1_195_860_000_000)
        #expect(parsed.items[1].unit.text == "s" && parsed.items[1].value == 9.9999999999999991e-06)
        #expect(parsed.items[2].unit.text == "" && parsed.items[2].value == -7.22636468709e-05)
    }

    @Test func unknownUnitsKeptAndWordsRejected() {
        let parsed = PerfdataParser.parse("'paged bytes'=2.882G;5.46199;6.14499;0;6.828 hapktrxrate=5a;;;0; ns.hacurstate=UP;; up=UNKNOWN z=UMB")
        #expect(labels(parsed) == ["paged bytes", "hapktrxrate", "z"])
        #expect(parsed.items[1].unit.text == "a")
        #expect(parsed.items[2].value == nil && parsed.items[2].unit.text == "MB")
        #expect(parsed.warnings.filter { $0.effect == .itemDropped }.count == 2)
        #expect(parsed.warnings.first { $0.effect == .itemDropped }!.description.contains("ns.hacurstate"))
    }

    @Test func trailingBackslashAndLongLabels() {
        let parsed = PerfdataParser.parse("'C:\\'=8.90799G;11.04;11.4;0;12 'Port-channel1_broadcast_usage_out'=0.00%;10;20;0;100")
        #expect(labels(parsed) == ["C:\\", "Port-channel1_broadcast_usage_out"])
    }

    @Test func outputCutOffMidLabelKeepsCompleteItems() {
        var text = (1...1718).map { String(format: "'metric number %04d'=%d;;;0;", $0, $0) }.joined(separator: " ")
        text += " 'metric"
        let parsed = PerfdataParser.parse(text)
        #expect(parsed.items.count == 1718)
        #expect(parsed.items.last?.value == 1718)
        #expect(parsed.warnings.count == 1)
    }

    @Test func literalBackslashN() {
        let parsed = PerfdataParser.parse("users=3;20;50;0\\n")
        #expect(parsed.items.first?.minimum == 0 && parsed.items.first?.label.text == "users")
        #expect(parsed.warnings.isEmpty)
        #expect(labels(PerfdataParser.parse("a=1\\nb=2")) == ["a", "b"])
    }

    @Test func strayFragmentsCostNothingElse() {
        let parsed = PerfdataParser.parse("users=3;5;10;0 ; =5 x=NaN y=2 1.234,5 'open")
        #expect(labels(parsed) == ["users", "y"])
        #expect(parsed.warnings.count == 5, "\(parsed.warnings)")
    }

    @Test func malformedNumbersAreNotMisread() {
        let parsed = PerfdataParser.parse("used=1.234,5MB;;;0; ok=3")
        #expect(labels(parsed) == ["ok"])
    }

    @Test func overflowIsRejected() {
        let parsed = PerfdataParser.parse("huge=1e999 fine=1e308")
        #expect(labels(parsed) == ["fine"])
    }

    @Test func valueTextFeedsRRDUnchanged() {
        let parsed = PerfdataParser.parse("a=0.1 b=+5 c=1.5e+10 d=U e=0,25")
        #expect(parsed.items.map(\.valueText) == ["0.1", "+5", "1.5e+10", "U", "0.25"])
    }

    @Test func unitsRepeatedOnThresholds() {
        let item = PerfdataParser.parse("rta=0.4ms;100ms;200ms;0ms").items.first
        #expect(item?.warning?.end == 100 && item?.critical?.end == 200 && item?.minimum == 0)
    }

    @Test func thresholdSemantics() throws {
        let item = try #require(PerfdataParser.parse("x=5;10;@20:30").items.first)
        let warning = try #require(item.warning)
        let critical = try #require(item.critical)
        #expect(!warning.alerts(on: 5) && warning.alerts(on: 11) && warning.alerts(on: -1))
        #expect(critical.alerts(on: 25) && !critical.alerts(on: 31))
    }
}

@Suite struct NumberTests {
    /// The parser's fast path must round exactly as a correctly rounded parser does.
    @Test func valuesAreCorrectlyRounded() {
        var random = FuzzTests.Generator(state: 99)
        for _ in 0..<50_000 {
            let digits = Int.random(in: 1...19, using: &random)
            var text = Bool.random(using: &random) ? "-" : ""
            text += String((0..<digits).map { _ in "0123456789".randomElement(using: &random)! })
            if Bool.random(using: &random) {
                let point = text.index(text.endIndex, offsetBy: -Int.random(in: 0...(digits - 1), using: &random))
                text.insert(".", at: point)
            }
            if Int.random(in: 0..<4, using: &random) == 0 {
                text += "e\(Int.random(in: -30...30, using: &random))"
            }
            let parsed = PerfdataParser.parse("x=" + text).items.first?.value
            #expect(parsed?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }
}

/// Findings of the first review: inputs that were misread or cost other items.
@Suite struct ReviewedInputTests {
    func labels(_ text: String) -> [String] { PerfdataParser.parse(text).items.map(\.label.text) }

    @Test func spacesAroundEquals() {
        let parsed = PerfdataParser.parse("a= 1 b=2 c =3 'd e' = 4")
        #expect(parsed.items.map(\.label.text) == ["a", "b", "c", "d e"])
        #expect(parsed.items.map(\.value) == [1, 2, 3, 4])
        #expect(labels("a= b=2") == ["b"], "a value-less item is dropped, not merged into a label")
    }

    @Test func strayQuoteCostsNothingElse() {
        let parsed = PerfdataParser.parse("x=1 'y=2 z=3")
        #expect(parsed.items.map(\.label.text) == ["x", "y", "z"])
        #expect(!parsed.hasRejectedInput)
    }

    @Test(arguments: ["x=0x1F", "x=10-5", "x=1:2", "x=1e+", "x=Unknown", "x=Up", "x=Used", "x=1.2.3", "x=+-1"])
    func somethingElseThanANumberIsRejected(_ text: String) {
        let parsed = PerfdataParser.parse(text + " ok=1")
        #expect(parsed.items.map(\.label.text) == ["ok"], "\(text)")
        #expect(parsed.hasRejectedInput)
    }

    @Test func unknownWithUnits() {
        let parsed = PerfdataParser.parse("a=Us b=U% c=UMB d=UKiB/s e=U")
        #expect(parsed.items.map(\.unit.text) == ["s", "%", "MB", "KiB/s", ""])
        #expect(parsed.items.allSatisfy { $0.value == nil })
    }
}
