import Foundation
import Perfdata

/// Spool parsing throughput on one core: a million records made by repeating the generated day
/// in `Samples/generated`, parsed from memory so that the disk is not measured.
enum ParseBenchmark {
    static func run(_ arguments: ArraySlice<String>) throws {
        let target = arguments.first.flatMap(Int.init) ?? 1_000_000
        let day = try BenchmarkSamples.generatedDay()
        let dayRecords = day.count { $0 == UInt8(ascii: "\n") }
        var spool: [UInt8] = []
        var records = 0
        while records < target {
            spool += day
            records += dayRecords
        }
        print("parse: \(records) records, \(spool.count / 1_000_000) MB of spool text, one core")

        var times: [Double] = []
        var items = 0
        for round in 0..<6 {
            var roundItems = 0
            var rejected = 0
            let clock = ContinuousClock()
            let elapsed = clock.measure {
                spool.withUnsafeBufferPointer { buffer in
                    SpoolParser.parse(buffer) { result in
                        switch result {
                        case .success(let record): roundItems += record.parsed.items.count
                        case .failure: rejected += 1
                        }
                    }
                }
            }
            blackHole(rejected)
            items = roundItems
            if round > 0 { times.append(elapsed.seconds) }  // the first round warms caches
        }
        times.sort()
        let median = times[times.count / 2]
        print(String(format: "parse: median of %d rounds %.3f s (best %.3f s)", times.count, median, times[0]))
        print(String(format: "parse: %.0f records/s, %.0f items/s, %.0f MB/s",
                     Double(records) / median, Double(items) / median, Double(spool.count) / median / 1e6))
    }
}

enum BenchmarkSamples {
    /// Every generated spool file, concatenated in name order.
    static func generatedDay() throws -> [UInt8] {
        let directory = try samplesDirectory().appendingPathComponent("generated")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var bytes: [UInt8] = []
        for name in names where name.contains("perfdata.") {
            bytes += try Data(contentsOf: directory.appendingPathComponent(name))
        }
        guard !bytes.isEmpty else { throw BenchmarkError("no spool files in \(directory.path)") }
        return bytes
    }

    static func samplesDirectory() throws -> URL {
        for candidate in [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Samples"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples"),
        ] where FileManager.default.fileExists(atPath: candidate.path) {
            return candidate
        }
        throw BenchmarkError("cannot find Samples/; run from the perfq checkout")
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
