/// The difference of two counter readings, computed as librrd's `rrd_diff` does: exactly, on the
/// decimal strings (so 64-bit counters lose nothing before the subtraction), then converted to a
/// double by rrd_strtod's digit loop, which is not correctly rounded above 2^53.
enum CounterDifference {
    /// `a - b`, or NaN (librrd's unknown) when either has no digit, their signs differ, or one has
    /// more than 30 digits.
    static func of(_ a: [UInt8], minus b: [UInt8]) -> Double {
        let (aNegative, aDigits) = digits(a)
        let (bNegative, bDigits) = digits(b)
        guard !aDigits.isEmpty, !bDigits.isEmpty, aNegative == bNegative,
              max(aDigits.count, bDigits.count) <= 30
        else { return DoubleBits.unknown }
        // |a| - |b| on digit strings, the larger magnitude first.
        let aFirst = compareMagnitude(aDigits, bDigits) >= 0
        let larger = aFirst ? aDigits : bDigits
        let smaller = aFirst ? bDigits : aDigits
        var result = [UInt8](repeating: 0, count: larger.count)
        var borrow: UInt8 = 0
        for k in 0..<larger.count {
            let top = larger[larger.count - 1 - k] - UInt8(ascii: "0")
            let bottom = k < smaller.count ? smaller[smaller.count - 1 - k] - UInt8(ascii: "0") : 0
            var digit = Int(top) - Int(bottom) - Int(borrow)
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 10 }
            result[larger.count - 1 - k] = UInt8(digit)
        }
        var value = 0.0
        for digit in result {
            value = value * 10.0 + Double(digit)
        }
        if !aFirst { value = -value }
        if aNegative { value = -value }
        return value
    }

    /// What rrd_diff reads of a reading: a `-` before the first digit makes it negative, and the
    /// number ends at the first byte after that is not a digit (a stored `5.7` reads as 5).
    private static func digits(_ text: [UInt8]) -> (negative: Bool, digits: [UInt8]) {
        guard let first = text.firstIndex(where: RRDNumber.isDigit) else { return (false, []) }
        let negative = text[..<first].contains(UInt8(ascii: "-"))
        return (negative, Array(text[first...].prefix(while: RRDNumber.isDigit)))
    }

    private static func compareMagnitude(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let a = a.drop { $0 == UInt8(ascii: "0") }
        let b = b.drop { $0 == UInt8(ascii: "0") }
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }
}
