/// The export's few small JSON values, written by hand: JSONSerialization's dynamic casts cost
/// about a millisecond on first use, a tenth of a whole export of a year.
enum JSONText {
    /// Escapes what RFC 8259 requires and nothing more ("/" and non-ASCII stay as they are).
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// `null` for unknown and infinite values, as in the point arrays.
    static func number(_ value: Double?) -> String {
        let bytes = [UInt8](unsafeUninitializedCapacity: JSONTextWriter.maximumLength(ofNumbers: 1, integers: 0)) { buffer, count in
            var writer = JSONTextWriter(at: buffer.baseAddress!)
            writer.write(value)
            count = writer.position - buffer.baseAddress!
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Members with their values already JSON, in the order given: sorted, by the callers.
    static func object(_ members: [(key: String, value: String)]) -> String {
        "{" + members.map { string($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
    }
}
