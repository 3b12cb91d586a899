import Foundation
import Testing
import MeshProtocol

@Suite struct RoleTests {
    @Test func rolesAreOrderedByPower() {
        #expect(Role.viewer < .editor)
        #expect(Role.editor < .owner)
        #expect(!Role.viewer.canEdit)
        #expect(Role.editor.canEdit && Role.owner.canEdit)
    }

    /// No one is given owner, by an invite or a role change: the one rule the server, the CLI,
    /// `mesh lsp` and the web client (roles.js GRANTABLE_ROLES) follow.
    @Test func ownerIsNeverGranted() {
        #expect(Role.grantable == [.viewer, .editor])
        #expect(!Role.owner.isGrantable)
        #expect(Role.viewer.isGrantable && Role.editor.isGrantable)
    }

    @Test func rolesTravelAsTheirNames() throws {
        #expect(Role.allCases.map(\.rawValue) == ["viewer", "editor", "owner"])
        let encoded = try JSONEncoder().encode(RoleRequest(role: .editor))
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"role":"editor"}"#)
        // The REST API refuses a role it does not know…
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RoleRequest.self, from: Data(#"{"role":"admin"}"#.utf8)) }
    }

    @Test func socketMessagesReadUnknownRolesAsViewers() throws {
        // …while a socket message with one still decodes, with the least power.
        let welcome = try WireCodec.decodeServerMessage(
            #"{"type":"welcome","protocol":1,"session":"s","user":{"user":"u","name":"Ada","role":"admin"},"online":[],"documents":[],"chat":[]}"#)
        guard case let .welcome(decoded) = welcome else { Issue.record("not a welcome: \(welcome)"); return }
        #expect(decoded.user.role == .viewer)
        #expect(try WireCodec.decodeServerMessage(#"{"type":"role","role":"editor"}"#) == .role(.init(role: .editor)))
        #expect(try WireCodec.decodeServerMessage(#"{"type":"role","role":"admin"}"#) == .role(.init(role: .viewer)))
        #expect(try WireCodec.decodeServerMessage(#"{"type":"role"}"#) == .role(.init(role: nil)))
        #expect(DebugWelcome(text: #"{"type":"welcome","role":"admin"}"#) == DebugWelcome(role: .viewer))
    }
}
