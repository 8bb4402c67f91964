/// Something in a perfdata string that was not as the guidelines say, and what was done about it.
public struct PerfdataWarning: Sendable, Hashable, CustomStringConvertible {
    public enum Effect: String, Sendable, Hashable {
        /// Accepted as meant (a decimal comma, a trailing `,`); nothing lost.
        case accepted
        /// One field (a threshold, min or max) was ignored; the item was kept.
        case fieldIgnored
        /// The whole item, or a stray fragment of text, was not kept.
        case itemDropped

        /// Whether some input was not kept.
        public var rejectsInput: Bool { self != .accepted }
    }

    /// Byte offset of the item in the perfdata string.
    public var offset: Int
    /// The item as written, shortened when long.
    public var excerpt: String
    public var reason: String
    public var effect: Effect

    public init(offset: Int, excerpt: String, reason: String, effect: Effect) {
        self.offset = offset
        self.excerpt = excerpt
        self.reason = reason
        self.effect = effect
    }

    public var description: String {
        let outcome: String
        switch effect {
        case .accepted: outcome = ""
        case .fieldIgnored: outcome = "; field ignored"
        case .itemDropped: outcome = "; dropped"
        }
        return "byte \(offset + 1), '\(excerpt)': \(reason)\(outcome)"
    }
}
