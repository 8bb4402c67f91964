import Foundation

/// Mod-Gearman's shared secret as its AES-256 key: the text cut to 32 bytes or padded with zero
/// bytes to 32, the way mod_gearman, PNP4Nagios's worker and nagflux all shape it.
public struct ModGearmanKey: Sendable, Equatable {
    public let bytes: [UInt8]

    public init(_ text: String) {
        bytes = Array(Array(text.utf8).prefix(32)) + Array(repeating: 0, count: max(0, 32 - text.utf8.count))
    }

    /// A `keyfile`: mod_gearman reads its first line, at most 32 characters, trailing spaces and
    /// line ends removed.
    public init(contentsOfFile path: String) throws(JobPayloadError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JobPayloadError("cannot read the key file \(path)")
        }
        let firstLine = data.prefix { $0 != UInt8(ascii: "\n") }.prefix(32)
        let trimmed = firstLine.reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }.reversed()
        guard !trimmed.isEmpty else { throw JobPayloadError("the key file \(path) is empty") }
        self.init(String(decoding: Array(trimmed), as: UTF8.self))
    }
}
