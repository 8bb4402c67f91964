import Foundation
import Perfdata
import Testing

/// One line of `shared/cases/perfdata.jsonl`.
struct PerfdataCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Range: Decodable, Sendable {
        var raw: String
        var start: Double?
        var end: Double?
        var inside: Bool
    }

    struct Item: Decodable, Sendable {
        var label: String
        var value: Double?
        var uom: String
        var warn: Range?
        var crit: Range?
        var min: Double?
        var max: Double?
    }

    var id: String
    var note: String
    var perfdata: String?
    var perfdataBase64: String?
    var items: [Item]

    private enum CodingKeys: String, CodingKey {
        case id, note, perfdata, items
        case perfdataBase64 = "perfdata_base64"
    }

    var testDescription: String { "\(id): \(note)" }

    var input: [UInt8] {
        if let perfdataBase64 { return [UInt8](Data(base64Encoded: perfdataBase64)!) }
        return Array(perfdata!.utf8)
    }

    static func all() throws -> [PerfdataCase] {
        let text = String(decoding: try SharedFiles.contents("cases/perfdata.jsonl"), as: UTF8.self)
        return try text.split(separator: "\n").map {
            try JSONDecoder().decode(PerfdataCase.self, from: Data($0.utf8))
        }
    }
}

/// Numbers compare to within one part in 10^9, as the cases' README says.
func same(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case let (a?, b?): return a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    default: return false
    }
}

func same(_ got: ThresholdRange?, _ expected: PerfdataCase.Range?) -> Bool {
    switch (got, expected) {
    case (nil, nil): return true
    case let (got?, expected?):
        return got.raw == expected.raw && same(got.start, expected.start) && same(got.end, expected.end)
            && got.alertsInside == expected.inside
    default: return false
    }
}

@Suite struct SharedCaseTests {
    @Test func casesFileIsThere() throws {
        #expect(try PerfdataCase.all().count >= 21)
    }

    @Test(arguments: try PerfdataCase.all())
    func parsesAsExpected(_ testCase: PerfdataCase) {
        let parsed = PerfdataParser.parse(testCase.input)
        #expect(parsed.items.count == testCase.items.count, "\(parsed.items.map(\.label.text)) \(parsed.warnings)")
        for (got, expected) in zip(parsed.items, testCase.items) {
            #expect(got.label.text == expected.label)
            #expect(same(got.value, expected.value), "value of \(expected.label): \(String(describing: got.value))")
            #expect(got.unit.text == expected.uom)
            #expect(same(got.warning, expected.warn), "warn of \(expected.label): \(String(describing: got.warning))")
            #expect(same(got.critical, expected.crit), "crit of \(expected.label): \(String(describing: got.critical))")
            #expect(same(got.minimum, expected.min), "min of \(expected.label)")
            #expect(same(got.maximum, expected.max), "max of \(expected.label)")
        }
        #expect(!parsed.hasRejectedInput, "\(parsed.warnings)")
    }
}
