import Foundation
import MeshClient

/// A user the benchmark signed up, with its own REST client.
struct BenchUser: Sendable {
    let api: MeshAPIClient
    let id: UUID
    let token: String

    /// Signs up `name` (a fresh email) on the server at `server`.
    static func signup(_ name: String, at server: String) async throws -> BenchUser {
        let api = MeshAPIClient(server: server)
        let tokens = try await api.signup(email: "\(name.lowercased())-\(UUID().uuidString.prefix(8))@bench.example",
                                          displayName: name, password: "correct horse battery staple")
        return BenchUser(api: api, id: tokens.user.id, token: tokens.accessToken)
    }
}
