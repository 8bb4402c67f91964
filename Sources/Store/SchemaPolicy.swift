import Foundation
import RoundRobin

/// Chooses the schema of a new series, as PNP4Nagios does by default, with overrides per check
/// command and per label pattern.
public struct SchemaPolicy: Sendable {
    /// One override: applies to series whose check command is `command`, or whose label matches
    /// `labelPattern` (a regular expression), in the order given; later ones win.
    public struct Rule: Sendable {
        public var command: String?
        public var labelPattern: String?
        public var step: UInt64?
        public var heartbeat: UInt64?
        public var type: DataSourceType?
        public var minimum: Double?
        public var maximum: Double?
        public var archives: [Archive]?

        public init(command: String? = nil, labelPattern: String? = nil) {
            self.command = command
            self.labelPattern = labelPattern
        }
    }

    public var step: UInt64 = 60
    /// PNP4Nagios's shipped configuration (its built-in default is 8640).
    public var heartbeat: UInt64 = 8460
    public var archives: [Archive] = SchemaPolicy.pnpArchives
    public var rules: [Rule] = []

    public init() {}

    /// AVERAGE, MAX and MIN at 1, 5, 30 and 360 steps: 2 days of minutes, 10 days of 5 minutes,
    /// 90 days of half hours and 4 years of 6 hours.
    public static let pnpArchives: [Archive] = [ConsolidationFunction.average, .maximum, .minimum].flatMap { function in
        [(1, 2880), (5, 2880), (30, 4320), (360, 5840)].map {
            Archive(function: function, xff: 0.5, stepsPerRow: UInt64($0.0), rows: UInt64($0.1))
        }
    }

    /// The data source name PNP4Nagios uses in its one-file-per-label layout.
    public static let dataSourceName = "1"

    public func schema(command: String?, label: String, unit: String) -> Schema {
        // Units `c` and `d` are counters; DERIVE with min 0 turns a reset into unknown, not a spike.
        let counter = unit == "c" || unit == "d"
        var source = DataSource(
            name: Self.dataSourceName, type: counter ? .derive : .gauge, heartbeat: heartbeat,
            minimum: counter ? 0 : DoubleBits.unknown, maximum: DoubleBits.unknown)
        var step = self.step
        var archives = self.archives
        for rule in rules where rule.matches(command: command, label: label) {
            if let value = rule.step { step = value }
            if let value = rule.heartbeat { source.heartbeat = value }
            if let value = rule.type { source.type = value }
            if let value = rule.minimum { source.minimum = value }
            if let value = rule.maximum { source.maximum = value }
            if let value = rule.archives { archives = value }
        }
        return Schema(step: step, dataSources: [source], archives: archives)
    }
}

extension SchemaPolicy.Rule {
    func matches(command: String?, label: String) -> Bool {
        if let expected = self.command {
            return command == expected
        }
        if let labelPattern, let expression = try? NSRegularExpression(pattern: labelPattern) {
            return expression.firstMatch(in: label, range: NSRange(label.startIndex..., in: label)) != nil
        }
        return false
    }
}
