import Foundation
@testable import Grapher
@testable import RoundRobin
import Testing

/// The export's points are written on several threads and handed out in order: whatever the
/// threads do, the document is the one a single thread writes.
struct StretchPipelineTests {
    struct WriteFailed: Error {}

    /// Many small stretches, lines and bands, with text between them, against the same parts
    /// written one after the other on one thread.
    static func parts() -> (parts: [StretchPipeline.Part], expected: [UInt8]) {
        let rows = 6_000
        let values = (0..<rows).map { $0 % 97 == 0 ? .nan : Double($0) / 7 }
        let source = FetchResult(start: 1_700_000_000, end: 1_700_000_000 + 60 * Int64(rows), step: 60, dataSourceNames: ["1"], values: values, archive: 0)
        var parts: [StretchPipeline.Part] = []
        var expected: [UInt8] = []
        for (index, first) in stride(from: 0, to: rows, by: 37).enumerated() {
            let stretch = PointStretch(source: source, lows: index % 2 == 0 ? nil : values.map { -$0 }, rows: first..<min(first + 37, rows))
            var text = [UInt8](repeating: 0, count: stretch.maximumLength)
            let length = text.withUnsafeMutableBufferPointer { stretch.write(into: $0.baseAddress!) }
            parts.append(.points(stretch))
            expected += text.prefix(length)
            let separator = Array("|\(index)|".utf8)
            parts.append(.text(separator))
            expected += separator
        }
        return (parts, expected)
    }

    @Test(.timeLimit(.minutes(2))) func partsComeOutInOrder() throws {
        let (parts, expected) = Self.parts()
        for run in 0..<100 {
            var written: [UInt8] = []
            try StretchPipeline.write(parts) { written += $0 }
            guard written == expected else {
                Issue.record("run \(run): the document differs from the one written on one thread (\(written.count) bytes, \(expected.count) expected)")
                return
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func aFailedWriteEndsTheWholeWriteWithItsError() {
        let (parts, _) = Self.parts()
        var calls = 0
        #expect(throws: WriteFailed.self) {
            try StretchPipeline.write(parts) { _ in
                calls += 1
                if calls == 3 { throw WriteFailed() }
            }
        }
        #expect(calls == 3, "nothing is handed out after the failed write")
    }
}
