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

    /// Space, TAB, CR, LF, VT, FF: what separates perfdata items.
    var isPerfdataSpace: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
}
