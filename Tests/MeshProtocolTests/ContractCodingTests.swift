import Foundation
import MeshProtocol
import Testing

/// The contract types write the JSON the server and clients wrote before they were shared:
/// the same keys, ISO-8601 dates, the same debug frames and run lines.
@Suite struct ContractCodingTests {
    static let id = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    /// As the server's response encoder (ISO-8601 dates, unescaped slashes), keys sorted to compare.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func restBodiesKeepTheirJSON() throws {
        let session = SessionInfo(id: Self.id, name: "p", ownerID: Self.id, role: .owner, createdAt: Self.date)
        #expect(try Self.json(session)
            == #"{"createdAt":"2023-11-14T22:13:20Z","id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","name":"p","ownerID":"6F9619FF-8B86-D011-B42D-00C04FC964FF","role":"owner"}"#)
        #expect(try Self.json(JoinResult(session: session)).hasPrefix(#"{"session":{"createdAt":"#))
        #expect(try Self.json(InviteInfo(code: "c", sessionID: Self.id, role: .viewer, expiresAt: Self.date, maxUses: 3, uses: 1, revoked: false))
            == #"{"code":"c","expiresAt":"2023-11-14T22:13:20Z","maxUses":3,"revoked":false,"role":"viewer","sessionID":"6F9619FF-8B86-D011-B42D-00C04FC964FF","uses":1}"#)
        #expect(try Self.json(DocumentInfo(id: Self.id, path: "a/b.go", revision: 2, size: 5, updatedAt: Self.date))
            == #"{"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","path":"a/b.go","revision":2,"size":5,"updatedAt":"2023-11-14T22:13:20Z"}"#)
        // Nil optionals are left out of request bodies, as before.
        #expect(try Self.json(CreateInviteRequest()) == "{}")
        #expect(try Self.json(ProfileUpdate(displayName: "Ada")) == #"{"displayName":"Ada"}"#)
        #expect(try Self.json(PasswordChange(currentPassword: "a", newPassword: "b")) == #"{"currentPassword":"a","newPassword":"b"}"#)
        // A member whose email a server leaves out still decodes.
        let member = try JSONDecoder().decode(MemberInfo.self, from: Data(
            #"{"userID":"6F9619FF-8B86-D011-B42D-00C04FC964FF","displayName":"Ada","role":"editor","online":true}"#.utf8))
        #expect(member.email == nil && member.role == .editor)
    }

    @Test func debugFramesKeepTheirJSON() {
        let hello = DebugHello(session: Self.id, root: "/home/ada/p")
        #expect(hello.text == #"{"root":"/home/ada/p","session":"6F9619FF-8B86-D011-B42D-00C04FC964FF","type":"hello"}"#)
        #expect(DebugHello(text: hello.text) == hello)
        #expect(DebugHello(text: #"{"type":"hello","session":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}"#) == DebugHello(session: Self.id, root: nil))
        #expect(DebugHello(text: #"{"type":"hello","session":"nope"}"#) == nil)
        #expect(DebugHello(text: #"{"type":"welcome","session":"6F9619FF-8B86-D011-B42D-00C04FC964FF"}"#) == nil)
        #expect(DebugWelcome(role: .editor, tokenExpiresAt: 1_700_000_000).text == #"{"role":"editor","tokenExpiresAt":1700000000,"type":"welcome"}"#)
        #expect(DebugWelcome(role: .viewer, tokenExpiresAt: 1_700_000_000.5).text == #"{"role":"viewer","tokenExpiresAt":1700000000.5,"type":"welcome"}"#)
        #expect(DebugWelcome(role: .owner).text == #"{"role":"owner","type":"welcome"}"#)
        #expect(DebugAuth(token: "t").text == #"{"token":"t","type":"auth"}"#)
        #expect(DebugAuth(json: ["type": "auth", "token": "t"]) == DebugAuth(token: "t"))
        // A browser's forms: a ticket in hello and in auth.
        #expect(DebugHello(session: Self.id, root: nil, ticket: "k").text == #"{"session":"6F9619FF-8B86-D011-B42D-00C04FC964FF","ticket":"k","type":"hello"}"#)
        #expect(DebugAuth(ticket: "k").text == #"{"ticket":"k","type":"auth"}"#)
        #expect(DebugAuth(json: ["type": "auth", "ticket": "k"])?.ticket == "k")
        #expect(DebugAuthenticated(expiresAt: 1_700_000_900).text == #"{"expiresAt":1700000900,"type":"authenticated"}"#)
        #expect(DebugAuthenticated(text: #"{"type":"authenticated","expiresAt":1700000900}"#) == DebugAuthenticated(expiresAt: 1_700_000_900))
    }

    @Test func pongIsItsOwnMessage() throws {
        #expect(WireCodec.encode(.pong(.init(id: "p1"))) == #"{"id":"p1","type":"pong"}"#)
        #expect(try WireCodec.decodeServerMessage(#"{"type":"pong"}"#) == .pong(ServerMessage.Pong()))
    }

    /// `document {path, change}`: as documented in protocol.md; an unknown change is refused.
    @Test func documentEventsAreTheirOwnMessage() throws {
        let encoded = try JSONValue.parse(Data(WireCodec.encode(.document(.init(path: "gen.go", change: .created))).utf8))
        #expect(encoded == ["type": "document", "path": "gen.go", "change": "created"])
        #expect(try WireCodec.decodeServerMessage(#"{"type":"document","path":"a/b.go","change":"deleted"}"#)
                == .document(.init(path: "a/b.go", change: .deleted)))
        #expect(throws: (any Error).self) { try WireCodec.decodeServerMessage(#"{"type":"document","path":"a","change":"renamed"}"#) }
    }

    @Test func runLinesReadAsEvents() throws {
        let lines: [(String, RunEvent)] = [
            (#"{"data":"hi\n","stream":"stdout"}"#, .output("hi\n", stderr: false)),
            (#"{"data":"oops","stream":"stderr"}"#, .output("oops", stderr: true)),
            ("{}", .heartbeat),
            (#"{"exit":3}"#, .exited(3)),
            (#"{"killed":"timeout"}"#, .killed("timeout")),
        ]
        for (line, event) in lines {
            #expect(try JSONDecoder().decode(RunEvent.self, from: Data(line.utf8)) == event, "\(line)")
            #expect(try Self.json(event) == line)
        }
        #expect(try Self.json(RunRequest(package: "./cmd/tool", args: ["-v"])) == #"{"args":["-v"],"package":"./cmd/tool"}"#)
    }
}
