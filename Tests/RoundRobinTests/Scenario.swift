import Foundation
import RoundRobin

/// SplitMix64: small, fast, and the same on every machine, so a seed replays a scenario.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A create, a series of update calls and some fetches, run alike through librrd and our engine.
struct Scenario: CustomStringConvertible {
    struct Call {
        var template: [String]?
        var arguments: [String]
    }

    struct Fetch {
        var function: ConsolidationFunction
        var start: Int64
        var end: Int64
        var resolution: UInt64
    }

    var seed: UInt64
    var step: UInt64
    var start: Int64
    var dataSources: [(name: String, type: DataSourceType, heartbeat: UInt64, minimum: String, maximum: String)]
    var archives: [(function: ConsolidationFunction, xff: String, steps: UInt64, rows: UInt64)]
    var calls: [Call]
    var fetches: [Fetch]

    var definitions: [String] {
        dataSources.map { "DS:\($0.name):\($0.type.rawValue):\($0.heartbeat):\($0.minimum):\($0.maximum)" }
            + archives.map { "RRA:\($0.function.rawValue):\($0.xff):\($0.steps):\($0.rows)" }
    }

    var schema: Schema {
        func bound(_ text: String) -> Double { text == "U" ? DoubleBits.unknown : RRDNumber.parse(text).value }
        return Schema(
            step: step,
            dataSources: dataSources.map {
                DataSource(name: $0.name, type: $0.type, heartbeat: $0.heartbeat, minimum: bound($0.minimum), maximum: bound($0.maximum))
            },
            archives: archives.map {
                Archive(function: $0.function, xff: RRDNumber.parse($0.xff).value, stepsPerRow: $0.steps, rows: $0.rows)
            })
    }

    /// The scenario as rrdtool commands, to replay by hand.
    var description: String {
        var lines = ["seed \(seed):", "rrdtool create s.rrd --start \(start) --step \(step) \(definitions.joined(separator: " "))"]
        for call in calls {
            let template = call.template.map { "--template \($0.joined(separator: ":")) " } ?? ""
            lines.append("rrdtool update s.rrd \(template)\(call.arguments.joined(separator: " "))")
        }
        for fetch in fetches {
            lines.append("rrdtool fetch s.rrd \(fetch.function.rawValue) -s \(fetch.start) -e \(fetch.end) -r \(fetch.resolution)")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Generation

    static func random(seed: UInt64) -> Scenario {
        var random = SeededGenerator(state: seed)
        let step = [1, 5, 10, 60, 60, 300, UInt64.random(in: 1...400, using: &random)].randomElement(using: &random)!
        let start = 1_700_000_000 + Int64.random(in: 0..<1_000_000, using: &random)
        var dataSources: [(name: String, type: DataSourceType, heartbeat: UInt64, minimum: String, maximum: String)] = []
        for index in 0..<Int.random(in: 1...3, using: &random) {
            let type = DataSourceType.allCases.randomElement(using: &random)!
            let heartbeat = max(1, UInt64(Double(step) * Double.random(in: 0.5...12, using: &random)))
            var minimum = "U"
            var maximum = "U"
            switch Int.random(in: 0..<5, using: &random) {
            case 0: minimum = "0"
            case 1: maximum = String(Int.random(in: 1...2000, using: &random))
            case 2: minimum = "-\(Int.random(in: 0...50, using: &random)).5"; maximum = "\(Int.random(in: 51...500, using: &random))"
            default: break
            }
            dataSources.append(("ds\(index)", type, heartbeat, minimum, maximum))
        }
        var archives: [(function: ConsolidationFunction, xff: String, steps: UInt64, rows: UInt64)] = []
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let xff = ["0", "0.5", "0.5", "0.1", "0.9", "0.999", String(format: "%.3f", Double.random(in: 0..<0.999, using: &random))].randomElement(using: &random)!
            archives.append((
                ConsolidationFunction.allCases.randomElement(using: &random)!, xff,
                [1, 1, 2, 3, 5, UInt64.random(in: 1...12, using: &random)].randomElement(using: &random)!,
                UInt64.random(in: 1...30, using: &random)))
        }
        var scenario = Scenario(seed: seed, step: step, start: start, dataSources: dataSources, archives: archives, calls: [], fetches: [])
        let last = scenario.generateUpdates(&random)
        scenario.generateFetches(&random, last: last)
        return scenario
    }

    /// Returns the time of the last reading.
    private mutating func generateUpdates(_ random: inout SeededGenerator) -> Int64 {
        var time = Double(start)
        var counters = dataSources.map { _ in UInt64.random(in: 0...1_000_000, using: &random) }
        let readings = Int.random(in: 5...60, using: &random)
        var pending: [String] = []
        var template: [String]?
        for _ in 0..<readings {
            time += nextGap(&random)
            var timeText = time == time.rounded(.down) ? String(Int64(time)) : String(format: "%.6f", time)
            if Int.random(in: 0..<40, using: &random) == 0 {
                // A reading not newer than the last one: librrd rejects it.
                timeText = String(Int64(time) - Int64.random(in: 0...Int64(step) * 3, using: &random))
            } else if Int.random(in: 0..<10, using: &random) == 0, time != time.rounded(.down) {
                timeText = String(format: "%.1f", time)
                time = RRDNumber.parse(timeText).value
            }
            var values: [String] = []
            for (index, source) in dataSources.enumerated() {
                values.append(reading(source.type, counter: &counters[index], &random))
            }
            if let template {
                let order = template.map { name in dataSources.firstIndex { $0.name == name }! }
                values = order.map { values[$0] }
            }
            pending.append(timeText + ":" + values.joined(separator: ":"))
            if pending.count >= Int.random(in: 1...4, using: &random) {
                calls.append(Call(template: template, arguments: pending))
                pending = []
                template = Int.random(in: 0..<6, using: &random) == 0 ? dataSources.map(\.name).shuffled(using: &random) : nil
            }
        }
        if !pending.isEmpty { calls.append(Call(template: template, arguments: pending)) }
        return Int64(time)
    }

    private func nextGap(_ random: inout SeededGenerator) -> Double {
        let step = Double(step)
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return step * Double(Int.random(in: 2...40, using: &random))  // a long gap
        case 1: return Double.random(in: 0.01...0.99, using: &random)  // sub-second
        case 2: return Double(Int.random(in: 1...Int(step * 3) + 1, using: &random)) + 0.25
        case 3: return step * Double.random(in: 5...15, using: &random)  // beyond most heartbeats
        default: return Double(Int.random(in: max(1, Int(step * 0.6))...Int(step * 1.4) + 1, using: &random))
        }
    }

    private func reading(_ type: DataSourceType, counter: inout UInt64, _ random: inout SeededGenerator) -> String {
        if Int.random(in: 0..<15, using: &random) == 0 { return "U" }
        switch type {
        case .gauge, .absolute:
            if Int.random(in: 0..<60, using: &random) == 0 {
                return ["nan", "inf", "-inf", "NaNx", "-nan"].randomElement(using: &random)!
            }
            switch Int.random(in: 0..<6, using: &random) {
            case 0: return String(Int.random(in: -100...1000, using: &random))
            case 1: return String(format: "%.3f", Double.random(in: -10...10, using: &random))
            case 2: return "0.999"
            case 3: return String(format: "%.9g", Double.random(in: 0...1e6, using: &random))
            case 4: return "\(Int.random(in: 1...9, using: &random)).\(Int.random(in: 0...99, using: &random))e\(Int.random(in: -3...5, using: &random))"
            default: return String(format: "%.2f", Double.random(in: 0...100, using: &random))
            }
        case .counter, .derive:
            switch Int.random(in: 0..<25, using: &random) {
            case 0: counter = UInt64.random(in: 4_294_967_000...4_294_967_295, using: &random)  // near a 32-bit wrap
            case 1: counter = UInt64.random(in: 0...500, using: &random)  // a wrap or a reset
            case 2: counter = UInt64.max - UInt64.random(in: 0...100_000, using: &random)  // near a 64-bit wrap
            case 3 where type == .derive: return "-\(UInt64.random(in: 0...100_000, using: &random))"
            default: counter &+= UInt64.random(in: 0...5000, using: &random)
            }
            return String(counter)
        case .dcounter, .dderive:
            switch Int.random(in: 0..<10, using: &random) {
            case 0: counter = UInt64.random(in: 0...1000, using: &random)
            case 1 where type == .dderive: return String(format: "-%.2f", Double.random(in: 0...1000, using: &random))
            default: counter &+= UInt64.random(in: 0...5000, using: &random)
            }
            return "\(counter).\(Int.random(in: 0...99, using: &random))"
        }
    }

    private mutating func generateFetches(_ random: inout SeededGenerator, last: Int64) {
        let end = last
        let longest = archives.map { Int64($0.steps * $0.rows) }.max()! * Int64(step)
        for _ in 0..<Int.random(in: 1...5, using: &random) {
            let from = last - Int64.random(in: -Int64(step) * 3...longest + Int64(step) * 10, using: &random)
            let to = from + Int64.random(in: 1...Int64(step) * 80, using: &random)
            fetches.append(Fetch(
                function: ConsolidationFunction.allCases.randomElement(using: &random)!,
                start: from, end: max(to, from + 1),
                resolution: [1, step, step * 5, UInt64.random(in: 1...step * 10, using: &random)].randomElement(using: &random)!))
        }
        if end > start { fetches.append(Fetch(function: archives[0].function, start: start, end: end, resolution: 1)) }
    }
}
