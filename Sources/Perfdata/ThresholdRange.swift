/// A warning or critical threshold in the Monitoring Plugins range syntax `[@]start:end`.
///
/// `10` means 0...10, `10:` means 10...+∞, `~:10` means −∞...10; a leading `@` alerts inside the
/// range instead of outside it. The text is kept as the plugin wrote it, because consumers disagree
/// on ranges and an admin must be able to see what the plugin actually said.
public struct ThresholdRange: Sendable, Hashable {
    /// The field as the plugin wrote it.
    public var raw: String
    /// The lower bound; `nil` is −∞.
    public var start: Double?
    /// The upper bound; `nil` is +∞.
    public var end: Double?
    /// Whether a value inside the range (inclusive) raises the alert.
    public var alertsInside: Bool

    public init(raw: String, start: Double?, end: Double?, alertsInside: Bool) {
        self.raw = raw
        self.start = start
        self.end = end
        self.alertsInside = alertsInside
    }

    /// Whether `value` raises the alert this range describes.
    public func alerts(on value: Double) -> Bool {
        let within = (start.map { value >= $0 } ?? true) && (end.map { value <= $0 } ?? true)
        return alertsInside ? within : !within
    }
}

extension ThresholdRange: Codable {
    private enum CodingKeys: String, CodingKey {
        case raw, start, end, inside
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        raw = try container.decode(String.self, forKey: .raw)
        start = try container.decodeIfPresent(Double.self, forKey: .start)
        end = try container.decodeIfPresent(Double.self, forKey: .end)
        alertsInside = try container.decode(Bool.self, forKey: .inside)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(raw, forKey: .raw)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encode(alertsInside, forKey: .inside)
    }
}
