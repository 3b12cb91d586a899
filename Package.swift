// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Mesh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mesh", targets: ["mesh"]),
        .library(name: "MeshOT", targets: ["MeshOT"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Pure operational-transform core: no I/O, no clocks, no logging.
        .target(name: "MeshOT"),
        .executableTarget(
            name: "mesh",
            dependencies: [
                "MeshOT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks are plain executables (run with `-c release`), kept out of the test suite.
        .executableTarget(name: "mesh-bench", dependencies: ["MeshOT"]),
        .testTarget(name: "MeshOTTests", dependencies: ["MeshOT"]),
    ]
)
