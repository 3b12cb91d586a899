import Foundation
import MeshProtocol
import Testing
@testable import MeshServer

/// The messages nodes exchange about a debug session that runs on one of them keep the frame
/// form older nodes write and read (`kind` and `payload` in `debug_frames`), and a frame this
/// node cannot read is refused, not guessed at.
@Suite struct DebugRelayMessageTests {
    static let user = UUID(uuidString: "6F2C9A52-4D8B-4E0A-9B52-2B4C1E0D7A11")!

    @Test func everyMessageReadsBackAsItWasSent() throws {
        let dap = try JSONValue.parse(Data(#"{"seq":3,"type":"request","command":"next","arguments":{"threadId":1}}"#.utf8))
        let messages: [DebugRelayMessage] = [
            .join(user: Self.user, name: "Ann «α»", role: .editor, root: "/home/ann/src"),
            .dap(dap), .role(.viewer), .role(.owner), .refuse("viewers cannot step"), .refuse(""), .leave, .end,
        ]
        for message in messages {
            #expect(DebugRelayMessage(kind: message.kind, payload: message.payload) == message, "\(message)")
        }
    }

    @Test func framesAreWrittenAsOlderNodesWriteThem() throws {
        #expect(DebugRelayMessage.role(.editor).kind == "role")
        #expect(DebugRelayMessage.role(.editor).payload == "editor")
        #expect(DebugRelayMessage.leave.payload == "" && DebugRelayMessage.end.payload == "")
        #expect(DebugRelayMessage.refuse("viewers cannot step").payload == "viewers cannot step", "the reason as it is")
        let dap = try JSONValue.parse(Data(#"{"type":"request","seq":3,"command":"next"}"#.utf8))
        #expect(DebugRelayMessage.dap(dap).payload == String(decoding: dap.serialized(), as: UTF8.self), "the message, serialized")
        let join = DebugRelayMessage.join(user: Self.user, name: "Ann", role: .viewer, root: "/w")
        #expect(join.kind == "join")
        let payload = try JSONValue.parse(Data(join.payload.utf8))
        #expect(payload["user"]?.string == Self.user.uuidString)
        #expect(payload["name"]?.string == "Ann")
        #expect(payload["role"]?.string == "viewer")
        #expect(payload["root"]?.string == "/w")
        // A join without the name and root: the reader's defaults.
        let older = #"{"user":"\#(Self.user.uuidString)","role":"owner"}"#
        #expect(DebugRelayMessage(kind: "join", payload: older) == .join(user: Self.user, name: "", role: .owner, root: "/workspace"))
    }

    @Test func aFrameThisNodeCannotReadIsRefused() {
        #expect(DebugRelayMessage(kind: "restart", payload: "") == nil, "an unknown kind")
        #expect(DebugRelayMessage(kind: "dap", payload: "{\"seq\":") == nil, "DAP that is not JSON")
        #expect(DebugRelayMessage(kind: "role", payload: "admin") == nil, "a role nobody has")
        #expect(DebugRelayMessage(kind: "join", payload: #"{"user":"not-a-uuid","role":"editor"}"#) == nil)
        #expect(DebugRelayMessage(kind: "join", payload: #"{"user":"\#(Self.user.uuidString)"}"#) == nil, "no role")
        #expect(DebugRelayMessage(kind: "join", payload: "[]") == nil)
    }
}
