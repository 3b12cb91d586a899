import Foundation
import Testing

/// The built `mesh` binary, run as a user would.
@Suite(.timeLimit(.minutes(5))) struct VersionTests {
    @Test func versionAndHelp() async throws {
        let version = try await MeshBinary.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try await MeshBinary.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Real-time pair programming"))
    }
}
