import Foundation
import HTTPTypes
import MeshProtocol
import MeshStore
import Testing
@testable import MeshServer

/// `/v1/ws` for browsers: single-use tickets from `POST /v1/ws-ticket` in `hello.ticket` and
/// `auth.ticket`; a cookie never opens a socket; `participant` messages.
@Suite(.timeLimit(.minutes(5))) struct WebSocketTicketTests {
    /// A browser's socket: no Authorization, hello with a ticket.
    static func hello(_ server: TestServer, session: String, ticket: String?, headers: HTTPFields = [:]) -> TestSocket {
        let socket = TestSocket(server, token: nil, headers: headers)
        socket.send(.hello(.init(session: session, client: "mesh-web/test", ticket: ticket)))
        return socket
    }

    static func refusal(_ socket: TestSocket) async throws -> ErrorMessage {
        try await socket.next { if case let .error(e) = $0 { e } else { nil } }
    }

    @Test(arguments: TestDatabase.allCases)
    func aTicketOpensOneSocketOnce(_ database: TestDatabase) async throws {
        try await withServer(database) { server in
            let browser = WebBrowser(server)
            let user = try await browser.signup("Ada")
            let session = try #require(try await browser.send(.POST, "/v1/sessions", json: ["name": "p"])["id"] as? String)
            let issued = try await browser.send(.POST, "/v1/ws-ticket", json: ["session": session])
            #expect(issued.status == 201 && issued["expiresIn"] as? Int == 30)
            #expect(issued.headers.first(name: "Cache-Control") == "no-store")
            let ticket = try #require(issued["ticket"] as? String)
            #expect(ticket.count >= 43, "at least 32 random bytes")

            let socket = Self.hello(server, session: session, ticket: ticket)
            guard case let .welcome(welcome) = try await socket.next() else { throw TestSetupError("no welcome") }
            #expect(welcome.user.user.lowercased() == user.lowercased())
            let expiry = try #require(welcome.tokenExpiresAt)
            #expect(abs(expiry - Date().addingTimeInterval(900).timeIntervalSince1970) < 30, "an access token's lease")
            socket.send(.ping(.init(id: "p")))
            let pong: ServerMessage.Pong = try await socket.next { if case let .pong(p) = $0 { p } else { nil } }
            #expect(pong.id == "p")

            // Used once: the same ticket again is refused and the socket closed (1008).
            let replay = Self.hello(server, session: session, ticket: ticket)
            #expect(try await Self.refusal(replay).code == .unauthorized)
            #expect(await replay.waitClosed())
            let garbage = Self.hello(server, session: session, ticket: String(repeating: "x", count: 5000))
            #expect(try await Self.refusal(garbage).code == .unauthorized)
            socket.close()
        }
    }

    /// Attack: a ticket taken for one session (or user) opens another, or outlives its 30 s.
    @Test(arguments: TestDatabase.allCases)
    func aTicketIsBoundToItsSessionUserAndTime(_ database: TestDatabase) async throws {
        try await withServer(database) { server in
            let browser = WebBrowser(server)
            let ada = try await browser.signup("Ada")
            let first = try #require(try await browser.send(.POST, "/v1/sessions", json: ["name": "a"])["id"] as? String)
            let second = try #require(try await browser.send(.POST, "/v1/sessions", json: ["name": "b"])["id"] as? String)
            let forFirst = try await browser.ticket(first)
            let crossed = Self.hello(server, session: second, ticket: forFirst)
            #expect(try await Self.refusal(crossed).code == .unauthorized)
            #expect(await crossed.waitClosed())
            // Consumed by the failed try as well.
            let again = Self.hello(server, session: first, ticket: forFirst)
            #expect(try await Self.refusal(again).code == .unauthorized)

            // No ticket for a session one is not a member of.
            let other = WebBrowser(server)
            _ = try await other.signup("Eve")
            let denied = try await other.send(.POST, "/v1/ws-ticket", json: ["session": first])
            #expect(denied.status == 404)
            #expect(try await server.request(.POST, "/v1/ws-ticket", json: ["session": first]).status == 401)

            // Expired: a ticket stored with a past expiry is refused.
            let (stale, hash) = TokenService.newOpaqueToken()
            let inserted = try await server.store.webSocketTickets.insert(
                WebSocketTicketRecord(ticketHash: hash, userID: UUID(uuidString: ada)!, sessionID: UUID(uuidString: first)!,
                                      expiresAt: Date().addingTimeInterval(-1)),
                maxOutstanding: 20, now: Date())
            #expect(inserted)
            let expired = Self.hello(server, session: first, ticket: stale)
            #expect(try await Self.refusal(expired).code == .unauthorized)

            // Renewal: a fresh ticket of the same user and session extends the socket; another
            // user's or session's changes nothing; auth needs exactly one of token and ticket.
            let opening = try await browser.ticket(first)
            let socket = Self.hello(server, session: first, ticket: opening)
            guard case .welcome = try await socket.next() else { throw TestSetupError("no welcome") }
            let renewal = try await browser.ticket(first)
            socket.send(.auth(.init(ticket: renewal)))
            let renewed: ServerMessage.Authenticated = try await socket.next { if case let .authenticated(a) = $0 { a } else { nil } }
            #expect(renewed.expiresAt > Date().timeIntervalSince1970)
            let otherSessions = try await browser.ticket(second)
            socket.send(.auth(.init(ticket: otherSessions)))
            #expect(try await Self.refusal(socket).code == .unauthorized)
            let eveSession = try #require(try await other.send(.POST, "/v1/sessions", json: ["name": "e"])["id"] as? String)
            let evesTicket = try await other.ticket(eveSession)
            socket.send(.auth(.init(ticket: evesTicket)))
            #expect(try await Self.refusal(socket).code == .unauthorized)
            socket.sendRaw(#"{"type":"auth"}"#)
            #expect(try await Self.refusal(socket).code == .badRequest)
            socket.sendRaw(#"{"type":"auth","token":"a","ticket":"b"}"#)
            #expect(try await Self.refusal(socket).code == .badRequest)
            socket.send(.ping(.init(id: "alive")))
            let alive: ServerMessage.Pong = try await socket.next { if case let .pong(p) = $0 { p } else { nil } }
            #expect(alive.id == "alive")
            socket.close()
        }
    }

    @Test func aUserHoldsAtMostTwentyTickets() async throws {
        // Tickets that last: on a loaded CI machine, 21 requests once took longer than the 30 s
        // default, the first tickets expired (no longer outstanding) and the 21st was granted.
        try await withServer(.sqlite, configure: { $0.auth.webSocketTicketLifetime = 600 }) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signup("Ada")
            let session = try #require(try await browser.send(.POST, "/v1/sessions", json: ["name": "p"])["id"] as? String)
            var tickets: [String] = []
            for _ in 0..<WebSocketTickets.maxOutstanding { tickets.append(try await browser.ticket(session)) }
            let refused = try await browser.send(.POST, "/v1/ws-ticket", json: ["session": session])
            #expect(refused.status == 429 && refused["code"] as? String == "rate_limited")
            // Using one frees a place.
            let socket = Self.hello(server, session: session, ticket: tickets[0])
            guard case .welcome = try await socket.next() else { throw TestSetupError("no welcome") }
            #expect(try await browser.send(.POST, "/v1/ws-ticket", json: ["session": session]).status == 201)
            socket.close()
        }
    }

    /// Attack: a page on another site opens a socket riding on the victim's cookie.
    @Test func aCookieNeverOpensASocket() async throws {
        try await withServer(.sqlite) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signup("Ada")
            let session = try #require(try await browser.send(.POST, "/v1/sessions", json: ["name": "p"])["id"] as? String)
            var headers = HTTPFields()
            let access = try #require(browser.cookie("mesh_access"))
            headers[.cookie] = "mesh_access=\(access)"
            let socket = Self.hello(server, session: session, ticket: nil, headers: headers)
            #expect(try await Self.refusal(socket).code == .unauthorized)
            #expect(await socket.waitClosed())
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func participantsAreAnnounced(_ database: TestDatabase) async throws {
        try await withServer(database) { server in
            let owner = try await server.signup("Owner")
            let member = try await server.signup("Member")
            let session = try await server.createSession(owner)
            try await server.addMember(member, to: session, role: "editor", owner: owner)
            let (watcher, _) = try await TestSocket.join(server, owner, session: session)
            func change(online: Bool) async throws -> ServerMessage.ParticipantChange {
                try await watcher.next {
                    if case let .participant(p) = $0, p.user.lowercased() == member.id.lowercased(), p.online == online { p } else { nil }
                }
            }
            let (first, _) = try await TestSocket.join(server, member, session: session)
            let joined = try await change(online: true)
            #expect(joined.name == "Member" && joined.role == .editor)
            // A second connection of the same user is no news; its closing neither.
            let (second, _) = try await TestSocket.join(server, member, session: session)
            second.close()
            _ = try await server.request(.PATCH, "/v1/sessions/\(session)/members/\(member.id)", json: ["role": "viewer"], token: owner.accessToken)
            let demoted = try await change(online: true)
            #expect(demoted.role == .viewer, "the role change, not the second connection")
            first.close()
            let left = try await change(online: false)
            #expect(left.role == .viewer)
            watcher.close()
        }
    }
}
