// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "perfq",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "perfq", targets: ["perfq"]),
        .executable(name: "perfqd", targets: ["perfqd"]),
        .library(name: "Perfdata", targets: ["Perfdata"]),
        .library(name: "RoundRobin", targets: ["RoundRobin"]),
    ],
    targets: [
        .target(name: "Perfdata"),
        .target(name: "RoundRobin"),
        .target(name: "Store", dependencies: ["Perfdata", "RoundRobin"]),
        .target(name: "Ingest", dependencies: ["Store"]),
        .target(name: "Grapher", dependencies: ["Store", "Perfdata", "RoundRobin"]),
        // librrd, the oracle for tests and benchmarks; the shipped executables never link it.
        .systemLibrary(name: "CRRD", pkgConfig: "librrd", providers: [.apt(["librrd-dev"])]),
        // Mod-Gearman's perfdata queue: gearmand's client library and AES from OpenSSL.
        .systemLibrary(name: "CGearman", pkgConfig: "gearmand", providers: [.apt(["libgearman-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "ModGearman", dependencies: ["Ingest", "Store", "CGearman", "CCrypto"]),
        .executableTarget(name: "perfq", dependencies: ["Perfdata", "RoundRobin", "Store", "Ingest", "Grapher"]),
        .executableTarget(name: "perfqd", dependencies: ["Ingest", "ModGearman"]),
        .executableTarget(name: "benchmarks", dependencies: ["Perfdata", "RoundRobin", "Store", "Ingest", "Grapher", "ModGearman", "CRRD"], path: "Benchmarks"),
        .testTarget(name: "PerfdataTests", dependencies: ["Perfdata"]),
        .testTarget(name: "RoundRobinTests", dependencies: ["RoundRobin", "CRRD"]),
        .testTarget(name: "ModGearmanTests", dependencies: ["ModGearman", "Ingest", "Store", "RoundRobin"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Store", "Perfdata", "RoundRobin", "Grapher", "CRRD"]),
    ],
    swiftLanguageModes: [.v6]
)
