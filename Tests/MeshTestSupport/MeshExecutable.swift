import Foundation

/// The `mesh` executable that `swift build` put next to the test bundle, for the tests that run
/// it as a subprocess.
public enum MeshExecutable {
    public static var url: URL {
        // …/.build/<triple>/debug/MeshPackageTests.xctest → …/.build/<triple>/debug/mesh
        let bundle = Bundle.main.bundleURL
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("mesh"),
                          bundle.appendingPathComponent("mesh")]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        // Tests/MeshTestSupport/MeshExecutable.swift → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/mesh")
    }
}
