import Dispatch

/// The text of each row's average, made by the average line's stretches and copied by the min/max
/// band's. In an archive of one step per row (every store's finest) a row's MIN and MAX are its
/// AVERAGE, so a third of an export's numbers would otherwise be worked out a second time.
final class AverageTexts: @unchecked Sendable {
    let averages: [Double]
    private let text: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<UInt8>
    /// One per stretch of rows, signalled when the line's stretch has made its texts.
    private let made: [DispatchSemaphore]
    private static let stride = JSONTextWriter.maximumLength(ofNumbers: 1, integers: 0)

    init(averages: [Double], stretches: Int) {
        self.averages = averages
        text = .allocate(capacity: averages.count * Self.stride)
        lengths = .allocate(capacity: averages.count)
        made = (0..<stretches).map { _ in DispatchSemaphore(value: 0) }
    }

    deinit {
        text.deallocate()
        lengths.deallocate()
    }

    func keep(row: Int, text start: UnsafePointer<UInt8>, count: Int) {
        (text + row * Self.stride).update(from: start, count: count)
        lengths[row] = UInt8(truncatingIfNeeded: count)
    }

    func text(ofRow row: Int) -> (start: UnsafePointer<UInt8>, count: Int) {
        (UnsafePointer(text + row * Self.stride), Int(lengths[row]))
    }

    func madeStretch(_ index: Int) {
        made[index].signal()
    }

    /// The line's stretches come before the band's in the document, so a worker waiting here
    /// waits for one that is being made or already queued, never for one behind it.
    func waitForStretch(_ index: Int) {
        made[index].wait()
    }
}
