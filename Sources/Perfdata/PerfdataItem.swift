/// One `label=value[unit];warn;crit;min;max` item of a check's performance data.
public struct PerfdataItem: Sendable, Hashable {
    /// The label with quotes removed and `''` unescaped; for check_multi, with its
    /// `name::plugin::` prefix applied.
    public var label: RawText
    /// `nil` when the plugin reported `U` (the value could not be determined).
    public var value: Double?
    /// The value as the plugin wrote it, with a decimal comma turned into a point; `U` when unknown.
    /// Stores feed this text, not `value`, to an RRD so that rounding matches rrdtool's own parser.
    public var valueText: String
    /// The unit, verbatim (`KiB/s`, `°C`, `c`); empty when none.
    public var unit: RawText
    public var warning: ThresholdRange?
    public var critical: ThresholdRange?
    public var minimum: Double?
    public var maximum: Double?

    public init(
        label: RawText, value: Double?, valueText: String, unit: RawText = RawText(bytes: []),
        warning: ThresholdRange? = nil, critical: ThresholdRange? = nil,
        minimum: Double? = nil, maximum: Double? = nil
    ) {
        self.label = label
        self.value = value
        self.valueText = valueText
        self.unit = unit
        self.warning = warning
        self.critical = critical
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The check_multi child service and plugin, when the label carries a `name::plugin::` prefix.
    public var checkMultiGroup: (service: RawText, plugin: RawText)? {
        guard let split = CheckMultiPrefix.split(label.bytes) else { return nil }
        return (RawText(bytes: Array(split.service)), RawText(bytes: Array(split.plugin)))
    }
}

extension PerfdataItem: Encodable {
    private enum CodingKeys: String, CodingKey {
        case label, value, valueText = "value_text", uom, warn, crit, min, max
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(label, forKey: .label)
        try container.encode(value, forKey: .value)
        try container.encode(valueText, forKey: .valueText)
        try container.encode(unit, forKey: .uom)
        try container.encode(warning, forKey: .warn)
        try container.encode(critical, forKey: .crit)
        try container.encode(minimum, forKey: .min)
        try container.encode(maximum, forKey: .max)
    }
}
