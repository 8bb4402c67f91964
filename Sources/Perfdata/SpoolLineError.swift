/// A spool line that cannot be used as a check result.
public struct SpoolLineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line number in the spool file.
    public var lineNumber: Int
    public var reason: String

    public init(lineNumber: Int, reason: String) {
        self.lineNumber = lineNumber
        self.reason = reason
    }

    public var description: String { "line \(lineNumber): \(reason)" }
}

extension SpoolLineError: Encodable {
    private enum CodingKeys: String, CodingKey {
        case line, error
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lineNumber, forKey: .line)
        try container.encode(reason, forKey: .error)
    }
}
