/// File names for hosts, services and labels, escaped reversibly.
///
/// Bytes outside letters, digits and `_.- +,@=()[]#` become `%XX`, and so does a leading `.`: no
/// name can be `.`,
/// `..`, hidden, contain `/` or NUL, or otherwise reach outside its directory. A name whose escaped
/// form would be longer than a file name may be is cut and ends in a hash of the whole name; the
/// series' metadata keeps the exact name.
public enum SeriesName {
    /// The longest escaped name kept whole, well under the 255 bytes of a file name, leaving room
    /// for the suffixes the store adds.
    static let maximumLength = 200

    /// Safe in a file name and common in service names (`Disk /var` keeps its space).
    static let plainPunctuation: Set<UInt8> = Set("_- +,@=()[]#".utf8)

    public static func escape(_ bytes: [UInt8]) -> String {
        var escaped = ""
        escaped.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() {
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                || plainPunctuation.contains(byte) || (byte == UInt8(ascii: ".") && index > 0)
            if plain {
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                escaped += "%" + hex(byte)
            }
        }
        if escaped.isEmpty { return "%" }
        if escaped.utf8.count > maximumLength {
            return String(escaped.prefix(maximumLength - 17)) + "~" + hash(bytes)
        }
        return escaped
    }

    /// The bytes an escaped name stands for; nil for a shortened name or one that is not ours.
    public static func unescape(_ name: String) -> [UInt8]? {
        if name == "%" { return [] }
        if name.contains("~") { return nil }
        var bytes: [UInt8] = []
        var utf8 = Array(name.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return bytes
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// FNV-1a, 64 bits, as 16 hex digits: stable across runs and machines.
    static func hash(_ bytes: [UInt8]) -> String {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01B3
        }
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
