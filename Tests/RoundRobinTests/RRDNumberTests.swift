import Foundation
import RoundRobin
import Testing

/// Our copy of librrd's number parser against the one exported by librrd itself.
@Suite struct RRDNumberTests {
    static let fixed = [
        "0.999", "123.456789", "1", "-1", "+7", "1e3", "1E-3", "1.5e+10", "0.1", "3.14159265358979323846",
        "  42", "12abc", "1e", "1e+", ".5", "5.", "-.5", "abc", "", "nan", "-nan", "NaN", "inf", "-inf", "Inf",
        "1e400", "1e-400", "4294967295", "18446744073709551615", "1e1024", "1e-1021", "9007199254740993",
        "0.000001", "1700000000.123456", "1700000030.3", "00012", "1.2.3", "1,5", "--1", "e5",
    ]

    static func randomTexts() -> [String] {
        var random = SeededGenerator(state: 42)
        return (0..<20_000).map { _ in
            let alphabet = Array("0123456789.eE+-")
            let length = Int.random(in: 1...24, using: &random)
            return String((0..<length).map { _ in
                Int.random(in: 0..<3, using: &random) == 0 ? alphabet.randomElement(using: &random)! : "0123456789".randomElement(using: &random)!
            })
        }
    }

    @Test(arguments: fixed)
    func agreesWithLibrrd(_ text: String) {
        let ours = RRDNumber.parse(text)
        let theirs = LibRRD.strtod(text)
        #expect(ours.length == theirs.length, "consumed of '\(text)'")
        if ours.length > 0 {
            #expect(ours.value.bitPattern == theirs.value.bitPattern, "'\(text)': ours \(ours.value), librrd \(theirs.value)")
        }
    }

    @Test func agreesWithLibrrdOnRandomTexts() {
        for text in Self.randomTexts() {
            let ours = RRDNumber.parse(text)
            let theirs = LibRRD.strtod(text)
            #expect(ours.length == theirs.length && (ours.length == 0 || ours.value.bitPattern == theirs.value.bitPattern),
                    "'\(text)': ours \(ours), librrd \(theirs)")
        }
    }

    @Test func isNotCorrectlyRounded() {
        // The reason this parser exists: Swift's correctly rounded parser gives another double.
        #expect(RRDNumber.parse("0.999").value.bitPattern == 0x3FEF_F7CE_D916_872C)
        #expect(Double("0.999")!.bitPattern == 0x3FEF_F7CE_D916_872B)
    }
}
