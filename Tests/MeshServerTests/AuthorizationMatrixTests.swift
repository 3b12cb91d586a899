import Foundation
import MeshOT
import MeshProtocol
import NIOHTTP1
import Testing
@testable import MeshServer

/// Every route and every WebSocket message × owner, editor, viewer, non-member, anonymous.
@Suite(.timeLimit(.minutes(5))) struct AuthorizationMatrixTests {
    enum Actor: String, CaseIterable, CustomStringConvertible {
        case owner, editor, viewer, nonMember, anonymous
        var description: String { rawValue }
    }

    /// A session with one user per role, a document and an invite.
    struct Fixture {
        var owner, editor, viewer, outsider: TestUser
        var session: String
        var document: String
        var invite: String

        static func make(_ server: TestServer) async throws -> Fixture {
            let owner = try await server.signup("Owner")
            let editor = try await server.signup("Editor")
            let viewer = try await server.signup("Viewer")
            let outsider = try await server.signup("Outsider")
            let session = try await server.createSession(owner)
            try await server.addMember(editor, to: session, role: "editor", owner: owner)
            try await server.addMember(viewer, to: session, role: "viewer", owner: owner)
            let doc = try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": "main.go", "text": "package main\n"], token: owner.accessToken)
            let invite = try await server.request(.POST, "/v1/sessions/\(session)/invites", json: ["role": "viewer"], token: owner.accessToken)
            return Fixture(owner: owner, editor: editor, viewer: viewer, outsider: outsider, session: session,
                           document: doc["id"] as! String, invite: invite["code"] as! String)
        }

        func token(_ actor: Actor) -> String? {
            switch actor {
            case .owner: owner.accessToken
            case .editor: editor.accessToken
            case .viewer: viewer.accessToken
            case .nonMember: outsider.accessToken
            case .anonymous: nil
            }
        }
    }

    struct Row: Sendable, CustomStringConvertible {
        var method: HTTPMethod
        var path: @Sendable (Fixture, Actor) -> String
        var body: @Sendable (Actor) -> [String: Any]? = { _ in nil }
        /// owner, editor, viewer, non-member, anonymous
        var expected: [Int]
        var label: String
        var description: String { label }
    }

    static let rows: [Row] = [
        Row(method: .GET, path: { _, _ in "/health" }, expected: [200, 200, 200, 200, 200], label: "GET /health"),
        Row(method: .GET, path: { _, _ in "/metrics" }, expected: [200, 200, 200, 200, 200], label: "GET /metrics"),
        Row(method: .GET, path: { _, _ in "/openapi.yaml" }, expected: [200, 200, 200, 200, 200], label: "GET /openapi.yaml"),
        Row(method: .GET, path: { f, _ in "/join/\(f.invite)" }, expected: [200, 200, 200, 200, 200], label: "GET /join/:code"),
        Row(method: .GET, path: { _, _ in "/v1/me" }, expected: [200, 200, 200, 200, 401], label: "GET /v1/me"),
        Row(method: .PATCH, path: { _, _ in "/v1/me" }, body: { _ in ["displayName": "Renamed"] }, expected: [200, 200, 200, 200, 401], label: "PATCH /v1/me"),
        Row(method: .POST, path: { _, _ in "/v1/me/verify-email" }, expected: [202, 202, 202, 202, 401], label: "POST /v1/me/verify-email"),
        Row(method: .POST, path: { _, _ in "/v1/me/password" }, body: { _ in ["currentPassword": "correct horse battery", "newPassword": "another good one"] },
            expected: [204, 204, 204, 204, 401], label: "POST /v1/me/password"),
        Row(method: .GET, path: { _, _ in "/v1/sessions" }, expected: [200, 200, 200, 200, 401], label: "GET /v1/sessions"),
        Row(method: .POST, path: { _, _ in "/v1/sessions" }, body: { _ in ["name": "another"] }, expected: [201, 201, 201, 201, 401], label: "POST /v1/sessions"),
        Row(method: .GET, path: { f, _ in "/v1/sessions/\(f.session)" }, expected: [200, 200, 200, 404, 401], label: "GET /v1/sessions/:session"),
        Row(method: .DELETE, path: { f, _ in "/v1/sessions/\(f.session)" }, expected: [204, 403, 403, 404, 401], label: "DELETE /v1/sessions/:session"),
        Row(method: .GET, path: { f, _ in "/v1/sessions/\(f.session)/members" }, expected: [200, 200, 200, 404, 401], label: "GET members"),
        Row(method: .PATCH, path: { f, _ in "/v1/sessions/\(f.session)/members/\(f.viewer.id)" }, body: { _ in ["role": "editor"] },
            expected: [200, 403, 403, 404, 401], label: "PATCH members/:user"),
        Row(method: .DELETE, path: { f, _ in "/v1/sessions/\(f.session)/members/\(f.viewer.id)" },
            expected: [204, 403, 204, 404, 401], label: "DELETE members/:user (viewer leaving is allowed)"),
        Row(method: .POST, path: { f, _ in "/v1/sessions/\(f.session)/invites" }, body: { _ in ["role": "editor"] }, expected: [201, 403, 403, 404, 401], label: "POST invites"),
        Row(method: .GET, path: { f, _ in "/v1/sessions/\(f.session)/invites" }, expected: [200, 403, 403, 404, 401], label: "GET invites"),
        Row(method: .DELETE, path: { f, _ in "/v1/sessions/\(f.session)/invites/\(f.invite)" }, expected: [204, 403, 403, 404, 401], label: "DELETE invites/:code"),
        Row(method: .POST, path: { f, _ in "/v1/invites/\(f.invite)/join" }, expected: [200, 200, 200, 200, 401], label: "POST invites/:code/join"),
        Row(method: .GET, path: { f, _ in "/v1/sessions/\(f.session)/documents" }, expected: [200, 200, 200, 404, 401], label: "GET documents"),
        Row(method: .POST, path: { f, _ in "/v1/sessions/\(f.session)/documents" }, body: { a in ["path": "new-\(a).txt", "text": "x"] },
            expected: [201, 201, 403, 404, 401], label: "POST documents"),
        Row(method: .GET, path: { f, _ in "/v1/sessions/\(f.session)/documents/\(f.document)" }, expected: [200, 200, 200, 404, 401], label: "GET documents/:document"),
        Row(method: .PATCH, path: { f, _ in "/v1/sessions/\(f.session)/documents/\(f.document)" }, body: { a in ["path": "moved-\(a).go"] },
            expected: [200, 200, 403, 404, 401], label: "PATCH documents/:document"),
        Row(method: .DELETE, path: { f, _ in "/v1/sessions/\(f.session)/documents/\(f.document)" }, expected: [204, 204, 403, 404, 401], label: "DELETE documents/:document"),
    ]

    @Test(arguments: rows)
    func restRoute(row: Row) async throws {
        try await withServer(.sqlite) { server in
            for (index, actor) in Actor.allCases.enumerated() {
                let fixture = try await Fixture.make(server)   // fresh: some rows destroy things
                let response = try await server.request(row.method, row.path(fixture, actor), json: row.body(actor), token: fixture.token(actor))
                #expect(response.status == row.expected[index], "\(row.label) as \(actor): \(response.text)")
                if response.status >= 400 { #expect(response["code"] != nil, "\(row.label) as \(actor): error body has a code") }
            }
        }
    }

    /// No request makes anyone owner (Role.isGrantable, the rule the CLI, `mesh lsp` and the web
    /// client follow too): the owner's role change to owner and an owner invite are 400, and the
    /// session still has its one owner.
    @Test func noRequestGrantsOwnership() async throws {
        try await withServer(.sqlite) { server in
            let f = try await Fixture.make(server)
            let crowned = try await server.request(.PATCH, "/v1/sessions/\(f.session)/members/\(f.editor.id)",
                                                   json: ["role": "owner"], token: f.owner.accessToken)
            #expect(crowned.status == 400 && crowned["code"] as? String == "bad_request", "\(crowned.text)")
            let invite = try await server.request(.POST, "/v1/sessions/\(f.session)/invites", json: ["role": "owner"], token: f.owner.accessToken)
            #expect(invite.status == 400 && invite["code"] as? String == "bad_request", "\(invite.text)")
            let members = try await server.request(.GET, "/v1/sessions/\(f.session)/members", token: f.owner.accessToken)
            let owners = (members.array ?? []).filter { $0["role"] as? String == "owner" }.compactMap { ($0["userID"] as? String)?.lowercased() }
            #expect(owners == [f.owner.id.lowercased()], "\(members.text)")
        }
    }

    /// Every client message, as each role. Non-members and anonymous callers never get past
    /// the handshake (see BadInputTests.handshakeFailuresAreExplained).
    @Test(arguments: [Actor.owner, .editor, .viewer])
    func webSocketMessages(actor: Actor) async throws {
        try await withServer(.sqlite) { server in
            let f = try await Fixture.make(server)
            let user = actor == .owner ? f.owner : actor == .editor ? f.editor : f.viewer
            let (witness, _) = try await TestSocket.join(server, f.owner, session: f.session, label: "witness")
            witness.send(.open(.init(path: "main.go")))
            _ = try await witness.next { if case .snapshot = $0 { true } else { nil } }
            let (socket, _) = try await TestSocket.join(server, user, session: f.session)
            socket.send(.open(.init(path: "main.go")))
            let snapshot: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == "package main\n", "open as \(actor)")

            socket.send(.op(.init(path: "main.go", baseRev: 0, ops: TextOperation([.retain(13), .insert("//")]), opId: "m:1")))
            let opResult: ServerMessage = try await socket.next { m in
                switch m { case .ack, .error: m; default: nil }
            }
            if actor == .viewer {
                guard case let .error(e) = opResult else { Issue.record("viewer op was not refused"); return }
                #expect(e.code == .forbidden)
            } else {
                guard case .ack = opResult else { Issue.record("\(actor) op was not acknowledged: \(opResult)"); return }
            }
            socket.send(.open(.init(path: "new-\(actor).txt", create: "x")))
            let created: ServerMessage = try await socket.next { m in
                switch m { case .snapshot, .error: m; default: nil }
            }
            if actor == .viewer {
                guard case let .error(e) = created else { Issue.record("viewer created a document"); return }
                #expect(e.code == .forbidden)
                #expect(e.answersOpen && e.path == "new-\(actor).txt", "a refused open says it answers the open: \(e)")
            } else {
                guard case .snapshot = created else { Issue.record("\(actor) could not create a document"); return }
            }

            let rev = actor == .viewer ? 0 : 1
            socket.send(.presence(.init(path: "main.go", rev: rev, selections: [.cursor(1)])))
            let presence: ServerMessage.Presence = try await witness.next { if case let .presence(p) = $0 { p } else { nil } }
            #expect(presence.user == user.id, "presence as \(actor)")

            socket.send(.chat(.init(text: "hi from \(actor)")))
            let chat: ServerMessage.Chat = try await witness.next { if case let .chat(c) = $0 { c } else { nil } }
            #expect(chat.text == "hi from \(actor)")

            witness.send(.annotate(.init(path: "main.go", rev: rev, from: 0, to: 7, body: "owner's note")))
            let note: ServerMessage.Annotation = try await socket.next { if case let .annotation(a) = $0 { a } else { nil } }
            socket.send(.annotate(.init(path: "main.go", rev: rev, from: 0, to: 1, body: "reply", parent: note.id)))
            let reply: ServerMessage.Annotation = try await witness.next { if case let .annotation(a) = $0, a.parent != nil { a } else { nil } }
            #expect(reply.user == user.id, "every member may comment")

            socket.send(.resolve(.init(id: note.id)))
            let resolved: ServerMessage = try await socket.next { m in
                switch m { case .error: m; case let .annotation(a) where a.resolved: m; default: nil }
            }
            if actor == .viewer {
                guard case let .error(e) = resolved else { Issue.record("viewer resolved an annotation"); return }
                #expect(e.code == .forbidden)
            } else {
                guard case .annotation = resolved else { Issue.record("\(actor) could not resolve"); return }
            }

            socket.send(.deleteAnnotation(.init(id: note.id)))
            let deleted: ServerMessage = try await socket.next { m in
                switch m { case .error: m; case let .annotation(a) where a.deleted: m; default: nil }
            }
            if actor == .owner {
                guard case .annotation = deleted else { Issue.record("owner could not delete"); return }
            } else {
                guard case let .error(e) = deleted else { Issue.record("\(actor) deleted another's annotation"); return }
                #expect(e.code == .forbidden)
            }
            socket.send(.hash(.init(path: "main.go", rev: rev, hash: "0000000000000000")))
            let hash: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(hash.code == .resync, "a wrong hash asks for a resync")
            socket.send(.ping(.init(id: "p")))
            _ = try await socket.next { if case .pong = $0 { true } else { nil } }
        }
    }
}
