/// Writes JSON numbers and punctuation through a pointer into memory the caller has sized with
/// `maximumLength(ofNumbers:integers:)`: no bounds checks, no String per number.
///
/// Numbers are written as JavaScript writes them (and so as `JSON.stringify` would): integers
/// below 2^53 in full, others as the shortest decimal that reads back as the same double, in
/// exponent form only below 10^-6 and from 10^21 on. Unknown and infinite values are `null`.
struct JSONTextWriter {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(at start: UnsafeMutablePointer<UInt8>) {
        position = start
    }

    /// Room for that many numbers and integers plus `punctuation` other bytes.
    static func maximumLength(ofNumbers numbers: Int, integers: Int, punctuation: Int = 0) -> Int {
        // "-0.00000" and 17 digits; "-" and 19 digits.
        numbers * 25 + integers * 20 + punctuation
    }

    mutating func write(_ byte: UInt8) {
        position.pointee = byte
        position += 1
    }

    mutating func write(_ integer: Int64) {
        if integer < 0 { write(UInt8(ascii: "-")) }
        writeDigits(of: integer.magnitude)
    }

    mutating func write(_ number: Double?) {
        guard let number, number.isFinite else {
            for byte in "null".utf8 { write(byte) }
            return
        }
        if number < 0 { write(UInt8(ascii: "-")) }
        let magnitude = number.magnitude
        if magnitude < 0x1p53 && magnitude == magnitude.rounded(.towardZero) {
            // Zero too; negative zero is not below zero, so it is "0", as in JavaScript.
            writeDigits(of: UInt64(magnitude))
            return
        }
        guard magnitude.isNormal else {
            // Subnormals are far below anything a check reports; Swift's text for them is valid JSON.
            for byte in magnitude.description.utf8 { write(byte) }
            return
        }
        let decimal = ShortestDecimal(magnitude)
        let length = Self.digitCount(decimal.digits)
        // The value is 0.d1d2… × 10^pointPosition.
        let pointPosition = length + decimal.exponent
        if length <= pointPosition && pointPosition <= 21 {
            writeDigits(of: decimal.digits, count: length)
            for _ in length..<pointPosition { write(UInt8(ascii: "0")) }
        } else if 0 < pointPosition && pointPosition <= 21 {
            let end = position + length + 1
            let integerPart = Self.writeLastDigits(of: decimal.digits, count: length - pointPosition, before: end)
            position[pointPosition] = UInt8(ascii: ".")
            _ = Self.writeLastDigits(of: integerPart, count: pointPosition, before: position + pointPosition)
            position = end
        } else if -6 < pointPosition && pointPosition <= 0 {
            write(UInt8(ascii: "0"))
            write(UInt8(ascii: "."))
            for _ in pointPosition..<0 { write(UInt8(ascii: "0")) }
            writeDigits(of: decimal.digits, count: length)
        } else {
            if length > 1 {
                let first = Self.writeLastDigits(of: decimal.digits, count: length - 1, before: position + length + 1)
                position[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: first)
                position[1] = UInt8(ascii: ".")
                position += length + 1
            } else {
                writeDigits(of: decimal.digits, count: 1)
            }
            write(UInt8(ascii: "e"))
            write(UInt8(ascii: pointPosition > 0 ? "+" : "-"))
            writeDigits(of: UInt64((pointPosition - 1).magnitude))
        }
    }

    private mutating func writeDigits(of value: UInt64) {
        writeDigits(of: value, count: Self.digitCount(value))
    }

    private mutating func writeDigits(of value: UInt64, count: Int) {
        position += count
        _ = Self.writeLastDigits(of: value, count: count, before: position)
    }

    /// Writes the last `count` decimal digits of `value`, two at a time from the right, to end
    /// just before `end`, and returns the digits left over.
    private static func writeLastDigits(of value: UInt64, count: Int, before end: UnsafeMutablePointer<UInt8>) -> UInt64 {
        var end = end
        var rest = value
        var remaining = count
        while remaining >= 2 {
            let pair = rest % 100
            rest /= 100
            end -= 2
            end[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: pair / 10)
            end[1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: pair % 10)
            remaining -= 2
        }
        if remaining == 1 {
            end[-1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return rest
    }

    private static func digitCount(_ value: UInt64) -> Int {
        // ⌊log10⌋ from the bit length, one too small at most.
        let estimate = ((64 - value.leadingZeroBitCount) * 1233) >> 12
        return max(1, estimate + (value >= powersOfTenUpTo19[estimate] ? 1 : 0))
    }

    private static let powersOfTenUpTo19: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
        10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000,
        1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]
}
