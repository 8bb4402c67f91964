// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "perfq",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "perfq", targets: ["perfq"]),
        .library(name: "Perfdata", targets: ["Perfdata"]),
    ],
    targets: [
        .target(name: "Perfdata"),
        .executableTarget(name: "perfq", dependencies: ["Perfdata"]),
        .executableTarget(name: "benchmarks", dependencies: ["Perfdata"], path: "Benchmarks"),
        .testTarget(name: "PerfdataTests", dependencies: ["Perfdata"]),
    ],
    swiftLanguageModes: [.v6]
)
