/// How a data source turns readings into rates.
public enum DataSourceType: String, Sendable, Hashable, CaseIterable {
    /// The reading is the rate itself (a temperature, a load, a number of tasks).
    case gauge = "GAUGE"
    /// An unsigned counter; a decrease is taken as a 32- or 64-bit wrap.
    case counter = "COUNTER"
    /// A signed counter; with min 0 a reset becomes unknown instead of a spike.
    case derive = "DERIVE"
    /// A count since the previous reading (reset on read).
    case absolute = "ABSOLUTE"
    /// COUNTER for readings with decimals.
    case dcounter = "DCOUNTER"
    /// DERIVE for readings with decimals.
    case dderive = "DDERIVE"

    /// The file version a data source of this type needs: rrdtool marks files with DCOUNTER or
    /// DDERIVE as 0005 so that older tools refuse them.
    var fileVersion: Int { self == .dcounter || self == .dderive ? 5 : 3 }
}

/// One data source (`DS:name:TYPE:heartbeat:min:max`).
public struct DataSource: Sendable, Hashable {
    /// At most 19 characters of `[-a-zA-Z0-9_]`.
    public var name: String
    public var type: DataSourceType
    /// Readings further apart than this many seconds make the interval unknown.
    public var heartbeat: UInt64
    /// Rates outside `minimum...maximum` are stored as unknown; NaN means no bound.
    public var minimum: Double
    public var maximum: Double

    public init(name: String, type: DataSourceType, heartbeat: UInt64, minimum: Double = DoubleBits.unknown, maximum: Double = DoubleBits.unknown) {
        self.name = name
        self.type = type
        self.heartbeat = heartbeat
        self.minimum = minimum
        self.maximum = maximum
    }
}
