import Foundation
import RoundRobin
import Store

/// Where each stored value of a series came from: the journaled raw samples are fed again to the
/// engine with a tracer, which records every amount, step and row, with the very doubles the
/// engine computed. An explanation is given for a row only when the replay wrote the same bits
/// as the stored file holds.
public final class PointExplainer: UpdateTracer {
    struct Amount {
        var time: Int64
        var reading: String
        var seconds: Double
        var amount: Double
        /// The amount was copied into an empty step (otherwise added, to 0 when it is the first).
        var starts: Bool
    }

    struct Step {
        var firstEnd: Int64
        var count: UInt64
        var amounts: [Amount]
        var numerator: Double
        var denominator: Double
        var rate: Double
        var unknownSeconds: UInt64
        var heartbeatExceeded: Bool
    }

    struct Combination {
        var accumulator: Double
        var lastRate: Double
        var lastSteps: UInt64
        var unknownSteps: UInt64
    }

    let schema: Schema
    /// The first journaled sample: rows that depend on earlier ones cannot be explained.
    public let journalStart: Int64?
    private var open: [Amount] = []
    private var steps: [Int64: Step] = [:]
    private var combinations: [Int: [Int64: Combination]] = [:]
    private var rows: [Int: [Int64: Double]] = [:]

    /// Replays the series' journal into a scratch file beside nothing of the store.
    public init(series: StoredSeries) throws {
        let stored = try SeriesQuery.open(series)
        schema = stored.schema
        let samples = HighchartsExport.rawSamples(series)
        journalStart = samples.first?.time
        guard let first = samples.first else { return }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("perfq-explain-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).rrd").path
        defer { unlink(scratch) }
        do {
            // As the store created the file: one step before the first sample, rows from 0.
            try RoundRobinFile.create(at: scratch, schema: schema, start: first.time - Int64(schema.step), currentRows: schema.archives.map { _ in 0 })
            let file = try RoundRobinFile(path: scratch, writable: true)
            file.tracer = self
            for sample in samples {
                try? file.update(time: sample.time, values: [sample.text])
            }
        } catch {
            throw SeriesQuery.QueryError(description: "cannot replay \(series.basePath).samples: \(error.message)")
        }
    }

    // MARK: UpdateTracer

    public func stepAmount(dataSource: Int, time: Int64, reading: String, seconds: Double, amount: Double, startsStep: Bool) {
        if startsStep { open.removeAll() }
        open.append(Amount(time: time, reading: reading, seconds: seconds, amount: amount, starts: startsStep))
    }

    public func stepsClosed(dataSource: Int, firstStepEnd: Int64, count: UInt64, numerator: Double, denominator: Double, rate: Double, unknownSeconds: UInt64, heartbeatExceeded: Bool) {
        let record = Step(firstEnd: firstStepEnd, count: count, amounts: open, numerator: numerator, denominator: denominator,
                          rate: rate, unknownSeconds: unknownSeconds, heartbeatExceeded: heartbeatExceeded)
        // A gap of many steps stores one rate in each; only the last ones matter for any archive.
        for index in (count > 100_000 ? count - 100_000 : 0)..<count {
            steps[firstStepEnd + Int64(index * schema.step)] = record
        }
        open.removeAll()
    }

    public func rowCombined(archive: Int, dataSource: Int, time: Int64, accumulator: Double, lastRate: Double, lastSteps: UInt64, unknownSteps: UInt64) {
        combinations[archive, default: [:]][time] = Combination(accumulator: accumulator, lastRate: lastRate, lastSteps: lastSteps, unknownSteps: unknownSteps)
    }

    public func rowWritten(archive: Int, dataSource: Int, time: Int64, value: Double) {
        rows[archive, default: [:]][time] = value
    }

    // MARK: Explanations

    static func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }

    /// How the row of `archive` ending at `time` got `stored`; nil when the journal does not
    /// reach back far enough to reproduce it bit for bit.
    public func explain(archive: Int, time: Int64, stored: Double) -> [String: Any]? {
        guard let replayed = rows[archive]?[time] else {
            // Never written: no check reached this row (before the first or after the last one).
            return stored.isNaN && journalStart.map({ time > $0 }) ?? false
                ? ["time": time, "value": NSNull(), "why_unknown": "no check has reached this row yet"] : nil
        }
        guard replayed.bitPattern == stored.bitPattern || (replayed.isNaN && stored.isNaN) else { return nil }
        let definition = schema.archives[archive]
        let step = Int64(schema.step)
        var explanation: [String: Any] = [
            "time": time,
            "value": Self.number(stored),
            "archive": ["function": definition.function.rawValue, "steps_per_row": definition.stepsPerRow, "step": step, "xff": definition.xff],
        ]
        var stepEntries: [[String: Any]] = []
        for index in 0..<Int64(definition.stepsPerRow) {
            let end = time - Int64(definition.stepsPerRow - 1) * step + index * step
            guard let record = steps[end] else {
                stepEntries.append(["end": end, "rate": NSNull(), "why": "no update closed this step"])
                continue
            }
            stepEntries.append(Self.describe(record, end: end, step: step))
        }
        explanation["steps"] = stepEntries
        if definition.stepsPerRow == 1 {
            explanation["arithmetic"] = stepEntries.first?["arithmetic"] ?? NSNull()
        } else if let combination = combinations[archive]?[time] {
            explanation["arithmetic"] = [
                "accumulator": Self.number(combination.accumulator), "last_rate": Self.number(combination.lastRate),
                "last_steps": combination.lastSteps, "unknown_steps": combination.unknownSteps,
                "steps_per_row": definition.stepsPerRow, "xff": definition.xff, "function": definition.function.rawValue,
                "formula": Self.formula(definition.function),
            ]
        } else {
            // A row written again after a gap longer than the archive carries the gap's rate.
            explanation["arithmetic"] = ["copy_of_rate": Self.number(stored)]
        }
        return explanation
    }

    static func formula(_ function: ConsolidationFunction) -> String {
        switch function {
        case .average: "(accumulator + last_rate × last_steps) ÷ (steps_per_row − unknown_steps); unknown when unknown_steps > steps_per_row × xff; an unknown term counts as 0"
        case .maximum: "the larger of accumulator and last_rate (unknown ones left out); unknown when unknown_steps > steps_per_row × xff"
        case .minimum: "the smaller of accumulator and last_rate (unknown ones left out); unknown when unknown_steps > steps_per_row × xff"
        case .last: "last_rate"
        }
    }

    static func describe(_ record: Step, end: Int64, step: Int64) -> [String: Any] {
        var operations: [[Any]] = []
        var started = false
        for amount in record.amounts {
            if amount.starts {
                operations = [["set", number(amount.amount)]]
                started = true
            } else {
                operations.append([started ? "add" : "add_to_zero", number(amount.amount)])
                started = true
            }
        }
        var entry: [String: Any] = [
            "end": end,
            "rate": number(record.rate),
            "samples": record.amounts.map { ["time": $0.time, "value": $0.reading, "seconds": $0.seconds, "amount": number($0.amount)] },
            "unknown_seconds": record.unknownSeconds,
            // An unknown step (heartbeat exceeded, more than half unknown) is unknown whatever the sums.
            "arithmetic": ["operations": operations, "divide_by": record.denominator, "unknown": record.rate.isNaN],
        ]
        if record.count > 1 {
            entry["shared_by_steps"] = record.count
            entry["why_shared"] = "one check covered \(record.count) steps: each gets the same rate, the amounts over all of them ÷ their known seconds"
        }
        if record.heartbeatExceeded {
            entry["why_unknown"] = "more than the heartbeat between two checks"
        } else if record.rate.isNaN {
            entry["why_unknown"] = "more than half of the step unknown"
        }
        return entry
    }

    /// Evaluates an explanation's arithmetic as the engine does; for checking it.
    public static func recompute(_ explanation: [String: Any]) -> Double? {
        guard let arithmetic = explanation["arithmetic"] as? [String: Any] else { return nil }
        if let operations = arithmetic["operations"] as? [[Any]], let divisor = arithmetic["divide_by"] as? Double {
            if arithmetic["unknown"] as? Bool == true { return .nan }
            var accumulator = 0.0
            for operation in operations {
                guard let name = operation[0] as? String, let amount = operation[1] as? Double else { return nil }
                switch name {
                case "set": accumulator = amount
                case "add_to_zero": accumulator = 0.0 + amount
                default: accumulator = accumulator + amount
                }
            }
            return accumulator / divisor
        }
        if let copy = arithmetic["copy_of_rate"] as? Double { return copy }
        guard let function = arithmetic["function"] as? String, let stepsPerRow = (arithmetic["steps_per_row"] as? NSNumber)?.uint64Value,
              let unknownSteps = (arithmetic["unknown_steps"] as? NSNumber)?.uint64Value, let xff = arithmetic["xff"] as? Double,
              let lastSteps = (arithmetic["last_steps"] as? NSNumber)?.uint64Value else { return nil }
        let accumulator = arithmetic["accumulator"] as? Double ?? .nan
        let rate = arithmetic["last_rate"] as? Double ?? .nan
        if Double(unknownSteps) > Double(stepsPerRow) * xff { return .nan }
        switch function {
        case "AVERAGE": return ((accumulator.isNaN ? 0 : accumulator) + (rate.isNaN ? 0 : rate) * Double(lastSteps)) / Double(stepsPerRow - unknownSteps)
        case "MAX":
            let current = accumulator.isNaN ? -Double.infinity : accumulator
            let candidate = rate.isNaN ? -Double.infinity : rate
            return candidate > current ? candidate : current
        case "MIN":
            let current = accumulator.isNaN ? Double.infinity : accumulator
            let candidate = rate.isNaN ? Double.infinity : rate
            return candidate < current ? candidate : current
        default: return rate
        }
    }
}

extension PointExplainer {
    /// The explanation as one line of JSON.
    public static func json(_ explanation: [String: Any]) throws -> String {
        try SeriesQuery.json(explanation)
    }

    /// An explanation for people: the row, each step with the checks that filled it, the sums.
    public static func text(_ explanation: [String: Any], series: StoredSeries) -> String {
        func time(_ value: Any?) -> String {
            guard let seconds = (value as? NSNumber)?.int64Value else { return "?" }
            return "\(SeriesQuery.localTime(seconds)) (\(seconds))"
        }
        func number(_ value: Any?) -> String {
            guard let value = value as? Double else { return "unknown" }
            return String(value)
        }
        let archive = explanation["archive"] as? [String: Any] ?? [:]
        let stepsPerRow = (archive["steps_per_row"] as? NSNumber)?.intValue ?? 1
        let step = (archive["step"] as? NSNumber)?.intValue ?? 0
        var lines = ["\(series.host) / \(series.service) / \(series.label): \(number(explanation["value"])) at \(time(explanation["time"]))"]
        lines.append("archive: \(archive["function"] ?? "?"), \(stepsPerRow) step(s) of \(step) s a row, xff \(archive["xff"] ?? "?")")
        for entry in explanation["steps"] as? [[String: Any]] ?? [] {
            lines.append("step ending \(time(entry["end"])): rate \(number(entry["rate"]))\((entry["why_unknown"] as? String).map { " (\($0))" } ?? "")")
            if let shared = entry["why_shared"] as? String { lines.append("  \(shared)") }
            for sample in entry["samples"] as? [[String: Any]] ?? [] {
                lines.append("  check at \(time(sample["time"])) reported \(sample["value"] ?? "?"): \(sample["seconds"] ?? "?") s of this step, amount \(number(sample["amount"]))")
            }
            if let unknown = (entry["unknown_seconds"] as? NSNumber)?.intValue, unknown > 0 {
                lines.append("  \(unknown) s of the step unknown")
            }
            if let arithmetic = entry["arithmetic"] as? [String: Any], let operations = arithmetic["operations"] as? [[Any]] {
                let sum = operations.map { "\($0[1])" }.joined(separator: " + ")
                lines.append("  (\(sum.isEmpty ? "nothing known" : sum)) ÷ \(arithmetic["divide_by"] ?? "?") known seconds = \(number(entry["rate"]))")
            }
        }
        if stepsPerRow > 1, let arithmetic = explanation["arithmetic"] as? [String: Any], let formula = arithmetic["formula"] as? String {
            lines.append("row: \(formula)")
            lines.append("  accumulator \(number(arithmetic["accumulator"])), last rate \(number(arithmetic["last_rate"])) × \(arithmetic["last_steps"] ?? "?") step(s), \(arithmetic["unknown_steps"] ?? "?") unknown step(s) = \(number(explanation["value"]))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
