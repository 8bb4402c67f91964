import Foundation

/// Writes a document made of fixed text and stretches of points: the stretches are turned into
/// text on every core while the calling thread hands the parts out in order as they are done.
///
/// The text goes through a few buffers used over and over, not one buffer per stretch: a year
/// of points is 8 MB of text, and touching 8 MB of fresh memory costs the kernel more page
/// faults than writing the digits costs us. The writing of one part overlaps the making of the
/// next.
enum StretchPipeline {
    enum Part {
        case text([UInt8])
        case points(PointStretch)
    }

    static func write(_ parts: [Part], to output: (UnsafeRawBufferPointer) throws -> Void) throws {
        let stretches = parts.compactMap { part -> PointStretch? in
            if case .points(let stretch) = part { return stretch }
            return nil
        }
        let workers = min(stretches.count, usableProcessors)
        guard workers > 0 else {
            for case .text(let bytes) in parts { try bytes.withUnsafeBytes(output) }
            return
        }
        let capacity = stretches.map(\.maximumLength).max()!
        // Worker w makes stretches w, w + workers, … into its own two slots in turn, so that each
        // slot has one maker and one reader and both go through it in the same order.
        let slots = (0..<2 * workers).map { _ in Slot(capacity: capacity) }
        defer { slots.forEach { $0.buffer.deallocate() } }
        @Sendable func slot(_ index: Int) -> Slot {
            slots[index % workers + workers * (index / workers % 2)]
        }

        let group = DispatchGroup()
        for worker in 0..<workers {
            DispatchQueue.global().async(group: group) {
                for index in stride(from: worker, to: stretches.count, by: workers) {
                    let slot = slot(index)
                    slot.free.wait()
                    slot.length = stretches[index].write(into: slot.buffer)
                    slot.filled.signal()
                }
            }
        }
        // Every stretch is taken from its slot even after a failed write, so no worker waits
        // for a slot forever.
        var failure: (any Error)?
        var stretch = 0
        for part in parts {
            switch part {
            case .text(let bytes):
                if failure == nil {
                    do { try bytes.withUnsafeBytes(output) } catch { failure = error }
                }
            case .points:
                let slot = slot(stretch)
                stretch += 1
                slot.filled.wait()
                if failure == nil {
                    do { try output(UnsafeRawBufferPointer(start: slot.buffer, count: slot.length)) } catch { failure = error }
                }
                slot.free.signal()
            }
        }
        group.wait()
        if let failure { throw failure }
    }

    /// The processors online. (ProcessInfo's count also reads the cgroup's quota, into a
    /// megabyte of fresh memory: a tenth of an export's page faults.)
    private static var usableProcessors: Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// One reusable buffer; `free` and `filled` hand it between a worker and the writer.
    private final class Slot: @unchecked Sendable {
        let buffer: UnsafeMutablePointer<UInt8>
        var length = 0
        let free = DispatchSemaphore(value: 1)
        let filled = DispatchSemaphore(value: 0)

        init(capacity: Int) {
            buffer = .allocate(capacity: capacity)
        }
    }
}
