/// A spool line that cannot be used as a check result.
public struct SpoolLineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line number in the spool file.
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}

extension SpoolLineError: Encodable {
    private enum CodingKeys: String, CodingKey {
        case line, error
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(line, forKey: .line)
        try container.encode(reason, forKey: .error)
    }
}
