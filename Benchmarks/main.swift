import Foundation

// Benchmarks run in release builds: `swift run -c release benchmarks <name>`.
let benchmarks: [String: (ArraySlice<String>) throws -> Void] = [
    "parse": ParseBenchmark.run,
    "update": UpdateBenchmark.run,
    "ingest": IngestBenchmark.run,
    "export": ExportBenchmark.run,
    "gearman": GearmanBenchmark.run,
]

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let benchmark = benchmarks[name] else {
    print("usage: benchmarks <\(benchmarks.keys.sorted().joined(separator: "|"))> [options]")
    exit(2)
}
do {
    try benchmark(arguments.dropFirst())
} catch {
    FileHandle.standardError.write(Data("benchmarks: \(error)\n".utf8))
    exit(1)
}
