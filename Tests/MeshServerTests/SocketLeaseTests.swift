import Foundation
import MeshProtocol
import Testing
@testable import MeshServer

/// Issue 11 (revocation reaches live sockets): a WebSocket lasts as long as the access token it
/// presented, unless the client sends a fresh token of the same user over it (`auth`).
@Suite(.timeLimit(.minutes(2))) struct SocketLeaseTests {
    /// Attack: keep a socket open for days on a token that expired (or was revoked) long ago.
    @Test func aSocketIsClosedWhenItsAccessTokenExpires() async throws {
        try await withServer(.sqlite, configure: { $0.auth.accessTokenLifetime = 5 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, welcome) = try await TestSocket.join(server, owner, session: session)
            let expiry = try #require(welcome.tokenExpiresAt, "the welcome says when the token expires")
            #expect(expiry > Date().timeIntervalSince1970 && expiry < Date().timeIntervalSince1970 + 6)
            let error: ErrorMessage = try await socket.next(timeout: .seconds(15)) { if case let .error(e) = $0 { e } else { nil } }
            #expect(error.code == .unauthorized && error.message.contains("auth"))
            await #expect(throws: (any Error).self, "the socket is closed") { _ = try await socket.next(timeout: .seconds(5)) }
        }
    }

    @Test func aSocketThatReauthenticatesOutlivesItsFirstToken() async throws {
        try await withServer(.sqlite, configure: { $0.auth.accessTokenLifetime = 8 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, welcome) = try await TestSocket.join(server, owner, session: session)
            let firstExpiry = try #require(welcome.tokenExpiresAt)
            try await Task.sleep(for: .milliseconds(1500))
            let refreshed = try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": owner.refreshToken])
            let fresh = try #require(refreshed["accessToken"] as? String)
            socket.send(.auth(.init(token: fresh)))
            let renewed: ServerMessage.Authenticated = try await socket.next { if case let .authenticated(a) = $0 { a } else { nil } }
            #expect(renewed.expiresAt > firstExpiry)
            // Past the first token's expiry the socket still answers.
            while Date().timeIntervalSince1970 < firstExpiry + 0.5 { try await Task.sleep(for: .milliseconds(100)) }
            socket.send(.ping(.init(id: "still here")))
            let pong: ServerMessage.Pong = try await socket.next { if case let .pong(p) = $0 { p } else { nil } }
            #expect(pong.id == "still here")
        }
    }

    /// Attack: extend one's socket with someone else's token, or with garbage.
    @Test func anotherUsersTokenDoesNotExtendTheSocket() async throws {
        try await withServer(.sqlite, configure: { $0.auth.accessTokenLifetime = 8 }) { server in
            let owner = try await server.signup("Owner")
            let other = try await server.signup("Other")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.auth(.init(token: other.accessToken)))
            let refused: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(refused.code == .unauthorized && refused.message.contains("another user"))
            socket.send(.auth(.init(token: String(repeating: "x", count: 5000))))
            let garbage: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(garbage.code == .unauthorized)
            let expired: ErrorMessage = try await socket.next(timeout: .seconds(20)) { if case let .error(e) = $0 { e } else { nil } }
            #expect(expired.message.contains("expired"), "closed at its own token's expiry")
        }
    }
}
