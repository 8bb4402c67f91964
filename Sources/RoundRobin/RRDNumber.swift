/// librrd's own number parser (`rrd_strtod`), reproduced because rrdtool parses every value,
/// bound, xff and timestamp with it and it is *not* correctly rounded: it accumulates every digit
/// as `n = n * 10 + d` in a double and then scales by powers of ten found by repeated squaring.
/// `0.999` comes out one ulp away from `Double("0.999")`; bit-identical files need the same ulp.
public enum RRDNumber {
    /// The outcome of parsing the start of a string.
    public struct Parse: Equatable, Sendable {
        public var value: Double
        /// Bytes consumed; 0 when nothing could be converted.
        public var length: Int
    }

    /// Parses the longest number at the start of `text`, as `rrd_strtod` does.
    public static func parse(_ text: String) -> Parse {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    /// Parses the longest number at the start of `text`, as `rrd_strtod` does.
    public static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Parse {
        var i = 0
        while i < text.count && isSpace(text[i]) { i += 1 }
        var negative = false
        if i < text.count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa = 0.0
        var digits = 0
        var fractionDigits = 0
        while i < text.count && isDigit(text[i]) {
            mantissa = mantissa * 10.0 + Double(text[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        if i < text.count && text[i] == UInt8(ascii: ".") {
            i += 1
            while i < text.count && isDigit(text[i]) {
                mantissa = mantissa * 10.0 + Double(text[i] - UInt8(ascii: "0"))
                digits += 1
                fractionDigits += 1
                i += 1
            }
        }
        guard digits > 0 else { return Parse(value: 0, length: 0) }
        if negative { mantissa = -mantissa }
        var exponent = 0
        if i < text.count && (text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E")) {
            var j = i + 1
            var exponentNegative = false
            if j < text.count && (text[j] == UInt8(ascii: "-") || text[j] == UInt8(ascii: "+")) {
                exponentNegative = text[j] == UInt8(ascii: "-")
                j += 1
            }
            while j < text.count && isDigit(text[j]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(text[j] - UInt8(ascii: "0")) }
                j += 1
            }
            // librrd consumes the `e` and its sign even when no digit follows (`5e` is 5,
            // and all of it is taken).
            if exponentNegative { exponent = -exponent }
            i = j
        }
        let scale = exponent - fractionDigits
        // Out of librrd's range: it returns HUGE_VAL without advancing, i.e. nothing converted.
        guard scale >= -1021 && scale <= 1024 else { return Parse(value: .infinity, length: 0) }
        var power = 10.0
        var remaining = scale.magnitude
        while remaining != 0 {
            if remaining & 1 == 1 {
                mantissa = scale < 0 ? mantissa / power : mantissa * power
            }
            remaining >>= 1
            power *= power
        }
        return Parse(value: mantissa, length: i)
    }

    /// `nan`, `-nan`, `inf` and `-inf`: rrd_strtodbl takes a string that starts with one of these
    /// words (in any case) as that value, whatever follows.
    private static func special(_ text: String) -> Double? {
        let lowered = text.lowercased()
        for (word, value) in [("-nan", DoubleBits.unknown), ("nan", Double.nan), ("-inf", -Double.infinity), ("inf", Double.infinity)]
        where lowered.hasPrefix(word) {
            return value
        }
        return nil
    }

    /// Parses a whole string as `rrd_strtodbl` does for a value: the error texts are rrdtool's.
    static func value(_ text: String) -> Result<Double, ConversionError> {
        let parse = parse(text)
        if parse.length == 0 {
            return special(text).map { .success($0) } ?? .failure(.notANumber(text))
        }
        if parse.length < text.utf8.count {
            return .failure(.trailingText(text, parse.value, String(decoding: Array(text.utf8)[parse.length...], as: UTF8.self)))
        }
        return .success(parse.value)
    }

    enum ConversionError: Error, CustomStringConvertible {
        case notANumber(String)
        case trailingText(String, Double, String)

        var description: String {
            switch self {
            case .notANumber(let text):
                return "Cannot convert '\(text)' to float"
            case let .trailingText(text, value, rest):
                return "Converted '\(text)' to \(CFormat.fixed6(value)), but cannot convert '\(rest)'"
            }
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
}

/// The special doubles exactly as librrd writes them on x86_64.
public enum DoubleBits {
    /// librrd's unknown (DNAN, from 0.0/0.0): a *negative* quiet NaN, 0xFFF8000000000000.
    /// Swift's `Double.nan` is 0x7FF8000000000000 and would make files differ.
    public static let unknown = Double(bitPattern: 0xFFF8_0000_0000_0000)
}
