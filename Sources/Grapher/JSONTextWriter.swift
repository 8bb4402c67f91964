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
        // "-0.00000" and 17 digits; "-" and 19 digits and "000" (milliseconds).
        numbers * 25 + integers * 23 + punctuation
    }

    mutating func write(_ byte: UInt8) {
        position.pointee = byte
        position += 1
    }

    /// Bytes already written, once more.
    mutating func write(copyOf start: UnsafePointer<UInt8>, count: Int) {
        position.update(from: start, count: count)
        position += count
    }

    mutating func write(_ integer: Int64) {
        if integer < 0 { write(UInt8(ascii: "-")) }
        writeDigits(of: integer.magnitude)
    }

    /// Seconds as milliseconds: three digits fewer to work out, and today's times (10 digits)
    /// as two digits and eight in one go.
    mutating func write(milliseconds seconds: Int64) {
        if 100_000_000 <= seconds && seconds < 10_000_000_000 {
            let high = UInt64(seconds) / 100_000_000
            writeDigits(of: high, count: high < 10 ? 1 : 2)
            Self.writeEight(UInt64(seconds) &- high &* 100_000_000, at: position)
            position += 8
        } else {
            write(seconds)
            if seconds == 0 { return }
        }
        for _ in 0..<3 { write(UInt8(ascii: "0")) }
    }

    mutating func write(_ number: Double?) {
        guard let number, number.isFinite else {
            for byte in "null".utf8 { write(byte) }
            return
        }
        if number < 0 { write(UInt8(ascii: "-")) }
        let magnitude = number.magnitude
        // Zero too; negative zero is not below zero, so it is "0", as in JavaScript. (The test
        // converts rather than rounds: rounding is a library call on baseline x86-64.)
        if magnitude < 0x1p53 && Double(UInt64(magnitude)) == magnitude {
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
        } else if 0 < pointPosition && pointPosition < 8 {
            // All digits one place to the right, then the integer part moved back over the gap
            // and the point put in it, all in one 8-byte word. The word may reach past the
            // number's last digit (bytes it puts back as they were), never past the 25 bytes a
            // number is given.
            let start = position
            position += 1
            writeDigits(of: decimal.digits, count: length)
            let raw = UnsafeMutableRawPointer(start)
            let shifted = raw.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
            let unmoved = raw.loadUnaligned(as: UInt64.self)
            let movedBits = UInt64(truncatingIfNeeded: 8 &* pointPosition)
            let moved: UInt64 = (1 &<< movedBits) &- 1
            let kept: UInt64 = pointPosition == 7 ? 0 : ~((1 &<< (movedBits &+ 8)) &- 1)
            let point = UInt64(UInt8(ascii: ".")) &<< movedBits
            raw.storeBytes(of: (shifted.littleEndian & moved | point | unmoved.littleEndian & kept).littleEndian, as: UInt64.self)
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

    @inline(__always) private mutating func writeDigits(of value: UInt64) {
        writeDigits(of: value, count: Self.digitCount(value))
    }

    @inline(__always) private mutating func writeDigits(of value: UInt64, count: Int) {
        position += count
        _ = Self.writeLastDigits(of: value, count: count, before: position)
    }

    /// Writes the last `count` decimal digits of `value` to end just before `end`, and returns
    /// the digits left over.
    @inline(__always) private static func writeLastDigits(of value: UInt64, count: Int, before end: UnsafeMutablePointer<UInt8>) -> UInt64 {
        var end = end
        var rest = value
        var remaining = count
        while remaining >= 8 {
            let quotient = rest / 100_000_000
            end -= 8
            writeEight(rest &- quotient &* 100_000_000, at: end)
            rest = quotient
            remaining -= 8
        }
        if remaining >= 4 {
            let quotient = rest / 10_000
            end -= 4
            writeFour(UInt32(truncatingIfNeeded: rest &- quotient &* 10_000), at: end)
            rest = quotient
            remaining -= 4
        }
        if remaining >= 2 {
            let quotient = rest / 100
            end -= 2
            writePair(UInt32(truncatingIfNeeded: rest &- quotient &* 100), at: end)
            rest = quotient
            remaining -= 2
        }
        if remaining == 1 {
            let quotient = rest / 10
            end[-1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest &- quotient &* 10)
            rest = quotient
        }
        return rest
    }

    /// Eight digits (of a value below 10^8) in one 8-byte store: the value is split into two
    /// halves of four digits, each into two pairs, each into two digits, all lanes of one 64-bit
    /// word at a time. The multipliers divide by 100 (10486 / 2^20, exact below 43,699) and by 10
    /// (103 / 2^10, exact below 179); byte 0 of the word ends up holding the first digit.
    @inline(__always) private static func writeEight(_ value: UInt64, at start: UnsafeMutablePointer<UInt8>) {
        var lanes = value / 10_000 | (value % 10_000) << 32
        let hundreds = ((lanes &* 10486) >> 20) & 0x0000_007F_0000_007F
        lanes = hundreds | (lanes &- hundreds &* 100) << 16
        let tens = ((lanes &* 103) >> 10) & 0x000F_000F_000F_000F
        lanes = tens | (lanes &- tens &* 10) << 8
        UnsafeMutableRawPointer(start).storeBytes(of: (lanes | 0x3030_3030_3030_3030).littleEndian, as: UInt64.self)
    }

    /// Four digits (of a value below 10^4) in one 4-byte store, as `writeEight` does eight.
    @inline(__always) private static func writeFour(_ value: UInt32, at start: UnsafeMutablePointer<UInt8>) {
        var lanes = value / 100 | (value % 100) << 16
        let tens = ((lanes &* 103) >> 10) & 0x000F_000F
        lanes = tens | (lanes &- tens &* 10) << 8
        UnsafeMutableRawPointer(start).storeBytes(of: (lanes | 0x3030_3030).littleEndian, as: UInt32.self)
    }

    @inline(__always) private static func writePair(_ value: UInt32, at start: UnsafeMutablePointer<UInt8>) {
        let (tens, ones) = value.quotientAndRemainder(dividingBy: 10)
        start[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: tens)
        start[1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: ones)
    }

    @inline(__always) private static func digitCount(_ value: UInt64) -> Int {
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
