/// Text exactly as a producer wrote it.
///
/// Plugins and Windows agents send bytes, not Unicode: a label may hold a Latin-1 `ä` that is not
/// valid UTF-8. The bytes are kept as they came so that names stay distinct and reversible; `text`
/// shows them as UTF-8 when they are valid and as Latin-1 otherwise, so nothing is ever dropped.
public struct RawText: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    public var text: String {
        if let valid = String(validating: bytes, as: UTF8.self) {
            return valid
        }
        var latin1 = String.UnicodeScalarView()
        latin1.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(latin1)
    }

    public var isValidUTF8: Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    public var isEmpty: Bool { bytes.isEmpty }

    public var description: String { text }

    public static func < (lhs: RawText, rhs: RawText) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension RawText: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
