import Foundation
import Testing
import MeshClient

/// When `mesh lsp` and `mesh dap` renew a socket's token: a quarter of what is left, never closer
/// to expiry than 5 s (a loaded machine's refresh) nor earlier than 2 minutes.
@Suite struct AccessTokenRenewalTests {
    @Test(arguments: [(900.0, 120.0), (400.0, 100.0), (40.0, 10.0), (10.0, 5.0), (0.0, 5.0), (-3.0, 5.0)])
    func renewsAQuarterBeforeExpiryWithinBounds(secondsLeft: Double, margin: Double) {
        #expect(AccessTokenRenewal.margin(secondsLeft: secondsLeft) == margin)
    }

    /// A login for another server is never used (nor rotated) to renew this server's socket.
    @Test func anotherServersLoginIsNotUsed() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-renew-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        try CredentialStore(directory: home).save(Credentials(server: "http://127.0.0.1:9", accessToken: "a", refreshToken: "r"))
        let failures = Failures()
        let task = Task {
            await AccessTokenRenewal.run(expiresAt: Date().timeIntervalSince1970, server: "http://127.0.0.1:7420",
                                         environment: ["MESH_HOME": home.path]) { _ in
                Issue.record("nothing to send without a login for this server")
            } failed: { error in
                failures.add("\(error)")
            }
        }
        // Generous: on two cores busy with the whole suite the task may wait for a thread.
        let deadline = ContinuousClock.now + .seconds(60)
        while failures.all.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        await task.value
        #expect(failures.all.first?.contains("not logged in to http://127.0.0.1:7420") == true, "\(failures.all)")
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ text: String) { lock.withLock { list.append(text) } }
    var all: [String] { lock.withLock { list } }
}
