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

    /// A session of this user's, `editors` joined to it as editors, and document `path` in it.
    func makeSession(name: String = "bench", editors: [BenchUser], path: String, text: String) async throws -> (session: UUID, document: UUID) {
        let session = try await api.createSession(name: name)
        if !editors.isEmpty {
            let invite = try await api.createInvite(session: session.id, role: .editor, maxUses: editors.count)
            for editor in editors { _ = try await editor.api.join(invite: invite.code) }
        }
        let document = try await api.createDocument(session: session.id, path: path, text: text)
        return (session.id, document.id)
    }
}
