import Foundation

/// Mod-Gearman's shared secret as its AES-256 key: the text cut to 32 bytes or padded with zero
/// bytes to 32, the way mod_gearman, PNP4Nagios's worker and nagflux all shape it.
public struct ModGearmanKey: Sendable, Equatable {
    public let bytes: [UInt8]

    public init(_ text: String) {
        self.init(bytes: Array(text.utf8))
    }

    /// The bytes as they are: a key file need not be UTF-8.
    public init(bytes: [UInt8]) {
        self.bytes = Array(bytes.prefix(32)) + Array(repeating: 0, count: max(0, 32 - bytes.count))
    }

    /// A `keyfile`: mod_gearman reads its first line, at most 32 characters, trailing spaces and
    /// line ends removed.
    public init(contentsOfFile path: String) throws(JobPayloadError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            // FileManager does not say why; access(2) does, for the usual reasons.
            let reason = access(path, R_OK) == 0 ? "" : ": " + String(cString: strerror(errno))
            throw JobPayloadError("cannot read the key file \(path)\(reason)")
        }
        let firstLine = data.prefix { $0 != UInt8(ascii: "\n") }.prefix(32)
        // C's isspace: space, \t, \n, \v, \f, \r.
        let trimmed = firstLine.reversed().drop { $0 == 0x20 || (0x09...0x0d).contains($0) }.reversed()
        guard !trimmed.isEmpty else { throw JobPayloadError("the key file \(path) is empty") }
        self.init(bytes: Array(trimmed))
    }
}
