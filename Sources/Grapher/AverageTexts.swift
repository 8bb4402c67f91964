import Foundation

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
        // 2.6 MB for a year of points, asked for in huge pages: a few page faults where 4 kB
        // pages take 640, each costing the kernel more than writing the text into it.
        let needed = averages.count * (Self.stride + 1)
        let huge = 2 << 20
        let rounded = (needed + huge - 1) / huge * huge
        var memory: UnsafeMutableRawPointer?
        if needed >= huge / 2 && posix_memalign(&memory, huge, rounded) == 0, let memory {
            _ = madvise(memory, rounded, MADV_HUGEPAGE)
        }
        guard let memory = memory ?? malloc(needed + 1) else { fatalError("out of memory for \(needed) bytes") }
        text = memory.assumingMemoryBound(to: UInt8.self)
        lengths = text + averages.count * Self.stride
        made = (0..<stretches).map { _ in DispatchSemaphore(value: 0) }
    }

    deinit {
        free(text)
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
