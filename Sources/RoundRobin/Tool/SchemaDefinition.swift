/// Reads rrdtool's `DS:` and `RRA:` definitions into a schema, with rrdtool's error messages.
public enum SchemaDefinition {
    /// Parses `DS:name:TYPE:heartbeat:min:max` and `RRA:CF:xff:steps:rows` arguments for a file
    /// with `step` seconds per primary data point. Durations (`2h`, `1d`) are accepted where
    /// rrdtool accepts them.
    public static func schema(step: UInt64, definitions: [String]) throws(RRDError) -> Schema {
        var dataSources: [DataSource] = []
        var archives: [Archive] = []
        for definition in definitions {
            if definition.hasPrefix("DS:") {
                let source = try dataSource(definition)
                if dataSources.contains(where: { $0.name == source.name }) {
                    throw RRDError("Duplicate DS name: \(source.name)")
                }
                dataSources.append(source)
            } else if definition.hasPrefix("RRA:") {
                archives.append(try archive(definition, step: step))
            } else {
                throw RRDError("can't parse argument '\(definition)'")
            }
        }
        guard !dataSources.isEmpty else { throw RRDError("you must define at least one Data Source") }
        guard !archives.isEmpty else { throw RRDError("you must define at least one Round Robin Archive") }
        return Schema(step: step, dataSources: dataSources, archives: archives)
    }

    static func dataSource(_ definition: String) throws(RRDError) -> DataSource {
        let parts = definition.split(separator: ":", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard parts.count >= 2 else { throw RRDError("invalid DS format") }
        let name = parts[0]
        guard (1...19).contains(name.utf8.count),
              name.utf8.allSatisfy({ RRDNumber.isDigit($0) || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { throw RRDError("invalid DS format") }
        if parts[1] == "COMPUTE" {
            throw RRDError("COMPUTE data sources are not supported by perfq")
        }
        guard let type = DataSourceType(rawValue: parts[1]) else {
            throw RRDError("invalid DS type specified (\(parts[1]))")
        }
        let arguments = parts.dropFirst(2).joined(separator: ":")
        let fields = Array(parts.dropFirst(2))
        guard let heartbeatText = fields.first else {
            throw RRDError("failed to parse data source \(arguments): missing heartbeat")
        }
        let heartbeat: UInt64
        do throws(RRDError) {
            heartbeat = try ScaledCount(heartbeatText).seconds
        } catch {
            throw RRDError("failed to parse data source \(arguments): \(error.message)")
        }
        guard fields.count >= 3 else {
            throw RRDError("failed to parse data source \(arguments): failed to extract min:max")
        }
        func bound(_ field: String) throws(RRDError) -> Double {
            // rrdtool reads each bound with sscanf's %18[^:]: a longer one is cut to 18 characters.
            let text = String(field.prefix(18))
            if text == "U" { return DoubleBits.unknown }
            switch RRDNumber.value(text) {
            case .success(let value): return value
            case .failure: throw RRDError("failed to parse data source \(arguments): failed to parse min/max")
            }
        }
        let minimum = try bound(fields[1])
        let maximum = try bound(fields[2])
        if !minimum.isNaN && !maximum.isNaN && minimum >= maximum {
            throw RRDError("failed to parse data source \(arguments): min must be less than max in DS definition")
        }
        return DataSource(name: name, type: type, heartbeat: heartbeat, minimum: minimum, maximum: maximum)
    }

    static func archive(_ definition: String, step: UInt64) throws(RRDError) -> Archive {
        let parts = definition.split(separator: ":", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard let functionName = parts.first else { throw RRDError("Unrecognized consolidation function ") }
        guard let function = ConsolidationFunction(rawValue: functionName) else {
            if ["HWPREDICT", "MHWPREDICT", "SEASONAL", "DEVSEASONAL", "DEVPREDICT", "FAILURES"].contains(functionName) {
                throw RRDError("\(functionName) archives are not supported by perfq (AVERAGE, MIN, MAX and LAST are)")
            }
            throw RRDError("Unrecognized consolidation function \(functionName)")
        }
        guard parts.count >= 4 else {
            throw RRDError("Expected at least 4 arguments for RRA but got \(parts.count)")
        }
        guard parts.count == 4 else { throw RRDError("Unexpected extra argument for consolidation function \(functionName)") }
        let xff: Double
        switch RRDNumber.value(parts[1]) {
        case .success(let value) where value >= 0 && value < 1: xff = value
        default: throw RRDError("Invalid xff: must be between 0 and 1")
        }
        let stepsPerRow: UInt64
        do throws(RRDError) {
            stepsPerRow = try ScaledCount(parts[2]).scaled(by: step)
        } catch {
            throw RRDError("Invalid step \(parts[2]): \(error.message)")
        }
        let rows: UInt64
        do throws(RRDError) {
            rows = try ScaledCount(parts[3]).scaled(by: step * stepsPerRow)
        } catch {
            throw RRDError("Invalid row count \(parts[3]): \(error.message)")
        }
        return Archive(function: function, xff: xff, stepsPerRow: stepsPerRow, rows: rows)
    }
}

/// A count, or a duration with rrdtool's suffixes: s, m (minutes), h, d, w, M (31 days), y (366
/// days). A plain number is a count; a suffixed one is seconds, to be divided by a unit.
struct ScaledCount {
    var value: UInt64
    var isSeconds: Bool

    init(_ text: String) throws(RRDError) {
        let digits = text.prefix { $0.isNumber }
        guard let number = UInt64(digits), number > 0 else {
            if let number = UInt64(digits), number == 0, digits.count == text.count {
                throw RRDError("value must be positive")
            }
            throw RRDError(digits.isEmpty ? "value must be (suffixed) positive number" : "value must be positive")
        }
        let suffix = text.dropFirst(digits.count)
        let multipliers: [Substring: UInt64] = ["": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "M": 2_678_400, "y": 31_622_400]
        guard let multiplier = multipliers[suffix] else {
            throw RRDError("value must be (suffixed) positive number")
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        // Past 2^40 seconds (35,000 years) no file or window makes sense, and products of such
        // numbers would overflow.
        guard !overflow, product <= 1 << 40 else { throw RRDError("value is too large") }
        value = product
        isSeconds = !suffix.isEmpty
    }

    var seconds: UInt64 { value }

    /// The count this stands for when each unit is `unit` seconds.
    func scaled(by unit: UInt64) throws(RRDError) -> UInt64 {
        guard isSeconds else { return value }
        guard unit > 0, value % unit == 0 else { throw RRDError("value would truncate when scaled") }
        return value / unit
    }
}
