/// Watches the update arithmetic, for explaining where a stored value came from. The engine
/// reports every amount it adds into a step, every step it closes and every row it writes, with
/// the very doubles it computes, so that an explanation can be recomputed bit for bit.
public protocol UpdateTracer: AnyObject {
    /// `amount` joined the open step of a data source: `seconds` of the reading at `time`.
    /// `startsStep` when it is the first amount of a new step.
    func stepAmount(dataSource: Int, time: Int64, reading: String, seconds: Double, amount: Double, startsStep: Bool)
    /// Steps `firstStepEnd`, +step, … (`count` of them) closed with `rate` = `numerator` ÷
    /// `denominator`; unknown when the interval exceeded the heartbeat or too much was unknown.
    func stepsClosed(dataSource: Int, firstStepEnd: Int64, count: UInt64, numerator: Double, denominator: Double, rate: Double, unknownSeconds: UInt64, heartbeatExceeded: Bool)
    /// A row of several steps is complete: `accumulator` holds what the earlier steps of the row
    /// gave (a sum of rate × steps for AVERAGE, the lowest or highest rate for MIN and MAX), the
    /// last update adds `lastRate` for `lastSteps` steps, and `unknownSteps` of the row are unknown.
    func rowCombined(archive: Int, dataSource: Int, time: Int64, accumulator: Double, lastRate: Double, lastSteps: UInt64, unknownSteps: UInt64)
    /// A row was written with `value`.
    func rowWritten(archive: Int, dataSource: Int, time: Int64, value: Double)
}
