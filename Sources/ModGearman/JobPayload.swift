import Foundation

/// A job on Mod-Gearman's perfdata queue: a spool line (`DATATYPE::SERVICEPERFDATA\tTIMET::…`)
/// with its terminating NUL, zero-padded and AES-256-ECB encrypted when encryption is on, and
/// base64-encoded in either case.
public enum JobPayload {
    /// The spool text a job carries. With a key, only encrypted jobs are taken: the key is the only
    /// thing that tells a job from Mod-Gearman apart from anything else that can reach gearmand.
    /// Without one, base64 text is taken, and so is a plain spool line (`gearman -f perfdata`).
    public static func text(of payload: [UInt8], key: ModGearmanKey?) throws(JobPayloadError) -> [UInt8] {
        guard payload.contains(where: { $0 != 0 && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }) else {
            throw JobPayloadError("the job is empty")
        }
        let separator = Array("::".utf8)
        let looksPlain = payload.indices.dropLast().contains { payload[$0] == separator[0] && payload[$0 + 1] == separator[1] }
        var text: [UInt8]
        if looksPlain {
            guard key == nil else {
                throw JobPayloadError("the job is not encrypted, but a key is set: only encrypted jobs are taken (set encryption = no to take plain ones)")
            }
            text = payload
        } else {
            let encoded = payload.filter { $0 != 0 && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
            guard let decoded = Data(base64Encoded: Data(encoded)) else {
                throw JobPayloadError("the job is neither base64 nor a spool line")
            }
            if let key {
                guard let plain = AES256ECB.decrypt([UInt8](decoded), key: key) else {
                    throw JobPayloadError("the job is not whole 16-byte AES blocks (\(decoded.count) bytes): Mod-Gearman sent it unencrypted (then set encryption = no here too), or it is damaged")
                }
                text = plain
            } else {
                text = [UInt8](decoded)
            }
        }
        // mod_gearman encrypts the terminating NUL too and pads with zeros: the text ends at the
        // first NUL, as Mod-Gearman's own C workers read it; the line ends in "\n".
        if let terminator = text.firstIndex(of: 0) { text.removeSubrange(terminator...) }
        while let last = text.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
            text.removeLast()
        }
        let hostField = Array("HOSTNAME::".utf8)
        guard text.count >= hostField.count,
              text.indices.dropLast(hostField.count - 1).contains(where: { text[$0..<($0 + hostField.count)].elementsEqual(hostField) }) else {
            throw JobPayloadError(key == nil
                ? "the job holds no HOSTNAME:: field; if Mod-Gearman encrypts (encryption=yes, its default), give perfqd the same key"
                : "the job holds no HOSTNAME:: field after decryption: check that the key is the one Mod-Gearman uses")
        }
        return text
    }

    /// The value of a spool line's `NAME::value` field, as bytes.
    static func field(_ name: String, in line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let prefix = Array((name + "::").utf8)
        for part in line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: true) where part.starts(with: prefix) {
            return part.dropFirst(prefix.count)
        }
        return nil
    }

    /// What mod_gearman sends for `text`: the NUL-terminated line, zero-padded and encrypted with
    /// `key` when there is one, then base64. Tests and benchmarks play Mod-Gearman with it.
    public static func encode(_ text: [UInt8], key: ModGearmanKey?) -> [UInt8] {
        var plain = text + [0]
        if let key {
            plain += Array(repeating: 0, count: (16 - plain.count % 16) % 16)
            plain = AES256ECB.encrypt(plain, key: key)
        }
        return Array(Data(plain).base64EncodedData())
    }
}

public struct JobPayloadError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    init(_ message: String) {
        self.message = message
    }
}
