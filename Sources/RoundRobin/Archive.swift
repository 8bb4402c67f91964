/// How an archive consolidates primary data points into one row.
public enum ConsolidationFunction: String, Sendable, Hashable, CaseIterable {
    case average = "AVERAGE"
    case minimum = "MIN"
    case maximum = "MAX"
    case last = "LAST"
}

/// One round-robin archive (`RRA:CF:xff:steps:rows`).
public struct Archive: Sendable, Hashable {
    public var function: ConsolidationFunction
    /// The fraction of a row's primary data points that may be unknown before the row is unknown.
    public var xff: Double
    /// Primary data points (steps) consolidated into one row.
    public var stepsPerRow: UInt64
    public var rows: UInt64

    public init(function: ConsolidationFunction, xff: Double, stepsPerRow: UInt64, rows: UInt64) {
        self.function = function
        self.xff = xff
        self.stepsPerRow = stepsPerRow
        self.rows = rows
    }
}

/// The shape of a round-robin file: its step, data sources and archives.
public struct Schema: Sendable, Hashable {
    /// Seconds per primary data point.
    public var step: UInt64
    public var dataSources: [DataSource]
    public var archives: [Archive]

    public init(step: UInt64, dataSources: [DataSource], archives: [Archive]) {
        self.step = step
        self.dataSources = dataSources
        self.archives = archives
    }

    /// The file version rrdtool 1.7.2 writes for this schema.
    public var fileVersion: Int {
        dataSources.map(\.type.fileVersion).max() ?? 3
    }
}
