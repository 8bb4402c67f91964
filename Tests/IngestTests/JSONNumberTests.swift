import Foundation
@testable import Grapher
import Testing

/// The export's own number formatting against Swift's `description`: the same shortest digits,
/// laid out as JavaScript lays them out, reading back as the same double.
struct JSONNumberTests {
    /// What the export must print for `value`, built the slow way: Swift's shortest digits,
    /// then JavaScript's Number-to-String layout.
    static func expected(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        guard value != 0 else { return "0" }
        let text = value.magnitude.description
        let parts = text.split(separator: "e")
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        var digits = Array(mantissa[0] + (mantissa.count == 2 ? mantissa[1] : ""))
        var pointPosition = mantissa[0].count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let length = digits.count
        let sign = value < 0 ? "-" : ""
        if length <= pointPosition && pointPosition <= 21 {
            return sign + String(digits) + String(repeating: "0", count: pointPosition - length)
        } else if 0 < pointPosition && pointPosition <= 21 {
            return sign + String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
        } else if -6 < pointPosition && pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + String(digits)
        } else {
            let rest = length > 1 ? "." + String(digits[1...]) : ""
            return sign + String(digits[0]) + rest + "e" + (pointPosition > 0 ? "+" : "-") + String(abs(pointPosition - 1))
        }
    }

    static func check(_ value: Double, _ failures: inout [String]) {
        let text = JSONText.number(value)
        let wanted = expected(value)
        if text != wanted || (value.isFinite && Double(text)?.bitPattern != (value == 0 ? 0 : value.bitPattern)) {
            failures.append("\(value.bitPattern): wrote \(text), want \(wanted)")
        }
    }

    @Test func edgesOfTheRangeAndOfTheLayout() {
        var values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.2, 0.3, 1.5e10, 1.5e+10, 44.73, 45.05, 1e-6, 1e-7, 1.2345e-7, 0.000001, 0.0000012345,
            1e20, 1e21, 1e22, 123456789012345678901234.0, 0x1p53, 0x1p53 + 2, 0x1p53 - 1, 0x1p63, 0x1p64,
            .greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude, Double.leastNormalMagnitude.nextDown,
            1.7976931348623157e308, 2.9802322387695312e-8, Double(bitPattern: 1), Double(bitPattern: 3),
            Double(bitPattern: 10_930), Double(bitPattern: 248_984_000), 1.0e23, 8.41e21, 9.999999999999999e22, 0.30000000000000004,
        ]
        for exponent in -1074...1023 {
            let power = Double(sign: .plus, exponent: exponent, significand: 1)
            values += [power, power.nextUp, power.nextDown, power * 3, power * 1.5]
        }
        for exponent in -323...308 {
            let power = Double("1e\(exponent)")!
            values += [power, power.nextUp, power.nextDown, power * 7, power * 0.5]
        }
        var failures: [String] = []
        for value in values where value.isFinite {
            Self.check(value, &failures)
            Self.check(-value, &failures)
        }
        #expect(failures.isEmpty, "\(failures.count) wrong, the first: \(failures.prefix(5))")
        #expect(JSONText.number(nil) == "null")
        #expect(JSONText.number(.nan) == "null")
        #expect(JSONText.number(-.infinity) == "null")
    }

    @Test func randomBitPatternsAndCheckLikeValues() {
        var random = SystemRandomNumberGenerator()
        var failures: [String] = []
        for _ in 0..<300_000 {
            let value = Double(bitPattern: random.next())
            if value.isFinite { Self.check(value, &failures) }
        }
        for _ in 0..<300_000 {
            // Averages of readings with a few decimals, as consolidation makes them.
            let readings = (0..<Int.random(in: 1...5)).map { _ in Double(Int.random(in: -100_000...100_000)) / [1, 10, 100, 1000].randomElement()! }
            let weights = readings.map { _ in Double(Int.random(in: 1...300)) }
            let value = zip(readings, weights).map(*).reduce(0, +) / weights.reduce(0, +)
            Self.check(value, &failures)
        }
        #expect(failures.isEmpty, "\(failures.count) wrong, the first: \(failures.prefix(5))")
    }

    @Test func integersOfEveryLength() {
        var failures: [String] = []
        for value in [Int64.min, Int64.max, 0, -1, 9, 10, 99, 100, -9_999_999_999] + (0...18).map({ (0..<$0).reduce(Int64(1)) { power, _ in power * 10 } }) {
            let bytes = [UInt8](unsafeUninitializedCapacity: JSONTextWriter.maximumLength(ofNumbers: 0, integers: 1)) { buffer, count in
                var writer = JSONTextWriter(at: buffer.baseAddress!)
                writer.write(value)
                count = writer.position - buffer.baseAddress!
            }
            if String(decoding: bytes, as: UTF8.self) != String(value) { failures.append(String(value)) }
        }
        #expect(failures.isEmpty, "wrong: \(failures)")
    }
}
