import Foundation

/// Why a series shows decimals, in the words of a Nagios admin: when the checks ran, how long a
/// step is, and how the store averages what falls into each step and each row.
struct ConsolidationSummary {
    var series: HighchartsExport.Series

    var text: String {
        let entry = series.stored
        // A metadata file can say anything; the row step is the file's own.
        let step = entry.metadata.flatMap { Int64(exactly: $0.step) }.flatMap { $0 > 0 ? $0 : nil } ?? Int64(series.average.step)
        let rowStep = Int64(series.average.step)
        let name = "\(entry.host) / \(entry.service) / \(entry.label)"
        let samples = series.samples
        var lines: [String] = []
        if samples.count >= 2 {
            let gaps = zip(samples.dropFirst(), samples).map { $0.time - $1.time }.sorted()
            let typical = gaps[gaps.count / 2]
            let offsets = samples.map { (($0.time % step) + step) % step }
            let counts = Dictionary(grouping: offsets, by: { $0 }).mapValues(\.count).sorted { $0.value > $1.value }
            let usual = counts.prefix(3).map { "\($0.key)" }.joined(separator: ", ")
            let wholes = samples.compactMap(\.value).allSatisfy { $0 == $0.rounded() }
            lines.append("\(name): the plugin reported \(samples.count) values in this window, about every \(typical) s, most often \(usual) s after the start of a \(step) s step\(wholes ? ", all whole numbers" : "").")
            if let offset = counts.first?.key, offset != 0 {
                lines.append("The store keeps one value per \(step) s step. A check's value counts for the time since the check before it, so a step that ends \(step - offset) s after a check takes \(offset) s of the value that check reported and \(step - offset) s of the next one, in proportion: two checks of 45 and 46 make \(String(format: "%.2f", (Double(offset) * 45 + Double(step - offset) * 46) / Double(step))) for that step. That is where the decimals come from; checks that run exactly on step boundaries keep whole numbers.")
            } else {
                lines.append("The store keeps one value per \(step) s step, the time-weighted average of the checks that cover it; checks on step boundaries fill each step with one value.")
            }
        } else {
            lines.append("\(name): the store keeps one value per \(step) s step, the time-weighted average of the checks that cover it (the raw samples of this window are no longer journaled).")
        }
        if rowStep > step {
            lines.append("Each point of this export is a row of \(rowStep / step) steps (\(rowStep) s): the average of their step values, so it has decimals even when every step had none. The band shows the lowest and highest step value of each row.")
        }
        lines.append("A gap (null) is time without checks: more than the heartbeat (\(entry.metadata?.heartbeat ?? 0) s) between two checks, or more than half a step unknown.")
        return lines.joined(separator: " ")
    }
}
