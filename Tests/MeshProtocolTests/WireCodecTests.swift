import Foundation
import MeshOT
@testable import MeshProtocol
import MeshTestSupport
import Testing

/// `WireCodec`'s hand-written paths must say exactly what Codable says, in both directions.
@Suite struct WireCodecTests {
    /// Random keystroke messages: written by the quick path, read by Codable, and the reverse.
    @Test func quickPathsAgreeWithCodable() throws {
        let pieces = SeededRandom.bufferPieces + ["\"", "\\", "/", "\u{1}", "\t", "\u{2028}"]
        for seed in 0..<UInt64(500) {
            var rng = SeededRandom(seed: seed)
            func text() -> String { (0..<rng.int(1...6)).map { _ in pieces.randomElement(using: &rng)! }.joined() }
            var operation = TextOperation()
            for _ in 0..<rng.int(0...5) {
                switch rng.int(0...2) {
                case 0: operation.retain(rng.int(1...1_000_000))
                case 1: operation.insert(text())
                default: operation.delete(rng.int(1...300))
                }
            }
            let optional: String? = rng.int(0...2) == 0 ? nil : text()
            let client: [ClientMessage] = [
                .op(.init(path: text(), baseRev: rng.int(0...Int(Int32.max)), ops: operation, opId: text())),
                .ping(.init(id: optional)),
            ]
            let server: [ServerMessage] = [
                .ack(.init(path: text(), rev: rng.int(0...1 << 40), opId: text())),
                .remoteOp(.init(path: text(), committed: CommittedOperation(revision: rng.int(1...1 << 40), operation: operation,
                                                                            opId: rng.int(0...1) == 0 ? nil : text(), author: optional))),
                .pong(.init(id: optional)),
            ]
            for message in client {
                let quick = try WireCodec.encode(message)
                #expect(try JSONDecoder().decode(ClientMessage.self, from: Data(quick.utf8)) == message, "seed \(seed): \(quick)")
                let codable = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
                #expect(WireCodec.quickClientMessage(codable) == message, "seed \(seed): \(codable)")
            }
            for message in server {
                let quick = WireCodec.encode(message)
                #expect(try JSONDecoder().decode(ServerMessage.self, from: Data(quick.utf8)) == message, "seed \(seed): \(quick)")
                let codable = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
                #expect(WireCodec.quickServerMessage(codable) == message, "seed \(seed): \(codable)")
            }
            #expect(WireCodec.operation(try JSONValue.parse(Data(WireCodec.jsonText(operation).utf8))) == operation, "seed \(seed)")
        }
    }

    /// What the quick reader does not take goes to Codable, whose error names the problem.
    @Test(arguments: [
        #"{"type":"op","path":"a","baseRev":"4","ops":[],"opId":"x"}"#,
        #"{"type":"op","path":"a","baseRev":4,"ops":[0],"opId":"x"}"#,
        #"{"type":"op","path":"a","baseRev":4,"ops":[""],"opId":"x"}"#,
        #"{"type":"op","path":"a","baseRev":4,"ops":[1.5],"opId":"x"}"#,
        #"{"type":"op","path":"a","ops":[1],"opId":"x"}"#,
        #"{"type":"ping","id":7}"#,
        #"{"type":"op","path":"a","baseRev":4,"ops":[1],"opId":"x""#,
    ])
    func refusalsMatchCodable(json: String) {
        var quick: String?
        var codable: String?
        do { _ = try WireCodec.decode(json) } catch { quick = "\(error)" }
        do { _ = try JSONDecoder().decode(ClientMessage.self, from: Data(json.utf8)) } catch { codable = "\(error)" }
        #expect(quick != nil && quick == codable, "WireCodec: \(quick ?? "accepted"); Codable: \(codable ?? "accepted")")
        #expect(WireCodec.quickClientMessage(json) == nil, "the quick path took \(json)")
    }

    /// Messages off the quick path still come and go, through Codable.
    @Test func otherMessagesGoThroughCodable() throws {
        let hello = ClientMessage.hello(.init(session: "s", client: "c"))
        #expect(try WireCodec.decode(try WireCodec.encode(hello)) == hello)
        let error = ServerMessage.error(ErrorMessage(.forbidden, "no", ref: "r", path: "a/b"))
        #expect(try WireCodec.decodeServerMessage(WireCodec.encode(error)) == error)
        #expect(WireCodec.encode(error).contains(#""path":"a/b""#))   // slashes are not escaped
        #expect(throws: UnknownMessageType.self) { try WireCodec.decode(#"{"type":"teleport"}"#) }
    }
}
