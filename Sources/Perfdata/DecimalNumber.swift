#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the numbers plugins write: optional sign, digits, a decimal point or a single decimal
/// comma (plugins running under a comma locale), and an optional exponent (`1.5e+10`, which
/// PNP4Nagios misreads as 1.5 with the unit `e`).
enum DecimalNumber {
    struct Scan {
        /// Index just past the number.
        var end: Int
        var usedDecimalComma: Bool
    }

    /// Scans the longest number at the start of `bytes[start..<limit]`, or returns nil when there
    /// is no digit there.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to limit: Int) -> Scan? {
        var i = start
        if i < limit, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
        var digits = 0
        while i < limit, bytes[i].isDigit { i += 1; digits += 1 }
        var comma = false
        if i < limit, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") {
            let separator = bytes[i]
            var j = i + 1
            var fraction = 0
            while j < limit, bytes[j].isDigit { j += 1; fraction += 1 }
            // A comma counts as a decimal mark only with digits after it: `5,` is a
            // comma-separated item list, not a number.
            if separator == UInt8(ascii: ".") ? digits + fraction > 0 : fraction > 0 {
                comma = separator == UInt8(ascii: ",")
                digits += fraction
                i = j
            }
        }
        guard digits > 0 else { return nil }
        if i < limit, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            var j = i + 1
            if j < limit, bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") { j += 1 }
            let exponentStart = j
            while j < limit, bytes[j].isDigit { j += 1 }
            if j > exponentStart { i = j }
        }
        return Scan(end: i, usedDecimalComma: comma)
    }

    /// The number's value, correctly rounded, or nil when it is not finite.
    static func value(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Double? {
        if let exact = exactValue(bytes, from: start, to: end) { return exact }
        let count = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            for k in 0..<count {
                let byte = bytes[start + k]
                buffer[k] = CChar(bitPattern: byte == UInt8(ascii: ",") ? UInt8(ascii: ".") : byte)
            }
            buffer[count] = 0
            let parsed = strtod(buffer.baseAddress!, nil)
            return parsed.isFinite ? parsed : nil
        }
    }

    /// Clinger's fast path: a mantissa below 2^53 scaled by at most 10^22 is one correctly rounded
    /// IEEE operation, so strtod is only needed for long or extreme numbers.
    private static func exactValue(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Double? {
        var i = start
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var inFraction = false
        while i < end {
            let byte = bytes[i]
            if byte.isDigit {
                if mantissa == 0 && byte == UInt8(ascii: "0") {
                    if inFraction { scale -= 1 }
                } else {
                    digits += 1
                    guard digits <= 15 else { return nil }
                    mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                    if inFraction { scale -= 1 }
                }
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",") {
                inFraction = true
            } else {
                break
            }
            i += 1
        }
        if i < end {
            // An exponent: e, optional sign, digits (the scan guaranteed the form).
            i += 1
            var exponentNegative = false
            if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponent = 0
            while i < end {
                exponent = exponent * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                guard exponent < 1000 else { return nil }
                i += 1
            }
            scale += exponentNegative ? -exponent : exponent
        }
        let magnitude = Double(mantissa)
        let value: Double
        if mantissa == 0 {
            value = 0
        } else if scale >= 0 && scale <= 22 {
            value = magnitude * powersOfTen[scale]
        } else if scale < 0 && scale >= -22 {
            value = magnitude / powersOfTen[-scale]
        } else {
            return nil
        }
        return negative ? -value : value
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// The number's text with a decimal comma turned into a point.
    static func normalizedText(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> String {
        String(unsafeUninitializedCapacity: end - start) { out in
            for k in start..<end {
                out[k - start] = bytes[k] == UInt8(ascii: ",") ? UInt8(ascii: ".") : bytes[k]
            }
            return end - start
        }
    }
}

extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    var isHexDigit: Bool { isDigit || (self | 0x20 >= UInt8(ascii: "a") && self | 0x20 <= UInt8(ascii: "f")) }

    var isLetter: Bool { self | 0x20 >= UInt8(ascii: "a") && self | 0x20 <= UInt8(ascii: "z") }

    /// Space, TAB, CR, LF, VT, FF: what separates perfdata items.
    var isPerfdataSpace: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
}
