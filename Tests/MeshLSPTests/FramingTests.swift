import Foundation
import MeshProtocol
import Testing
@testable import MeshLSP
import MeshTestSupport
import MeshFraming

/// LSP base-protocol framing and JSON-RPC parsing: split, merged and partial messages, bad
/// headers, malformed JSON-RPC.
@Suite struct FramingTests {
    func frame(_ json: String) -> [UInt8] { Array(MessageFramer.frame(Data(json.utf8))) }

    @Test func wholeMergedAndSplitMessages() {
        let aText = #"{"jsonrpc":"2.0","method":"a"}"#, bText = #"{"jsonrpc":"2.0","method":"b","params":{"t":"é😀"}}"#
        let a = frame(aText), b = frame(bText)
        var framer = MessageFramer()
        #expect(framer.feed(a + b).count == 2)
        // Byte by byte: each message comes out exactly once, when its last byte arrives.
        var slow = MessageFramer()
        var out: [MessageFramer.Frame] = []
        for byte in a + b { out += slow.feed([byte]) }
        #expect(out == [.message(Data(aText.utf8)), .message(Data(bText.utf8))])
    }

    @Test func randomChunkingNeverChangesTheMessages() {
        var rng = SeededRandom(seed: 7)
        let messages = (0..<50).map { i in #"{"jsonrpc":"2.0","id":\#(i),"method":"m","params":{"text":"\#(String(repeating: "x😀\r\n", count: i))"}}"# }
        let stream = messages.flatMap { frame($0) }
        for round in 0..<200 {
            var framer = MessageFramer()
            var got: [String] = []
            var index = 0
            while index < stream.count {
                let n = Int.random(in: 1...300, using: &rng)
                for case let .message(data) in framer.feed(stream[index..<min(stream.count, index + n)]) {
                    got.append(String(decoding: data, as: UTF8.self))
                }
                index += n
            }
            #expect(got == messages, "chunking round \(round) (seed 7)")
        }
    }

    @Test func badHeadersAreReportedAndTheStreamGoesOn() {
        var framer = MessageFramer(limit: 1000)
        let goodText = #"{"jsonrpc":"2.0","method":"ok"}"#
        let good = frame(goodText)
        var frames = framer.feed(Array("Content-Length: abc\r\n\r\n".utf8) + good)
        #expect(frames.count == 2)
        #expect(frames.first.map { if case .badHeader = $0 { true } else { false } } == true)
        frames = framer.feed(Array("Content-Type: x\r\n\r\n".utf8) + good)
        #expect(frames.first == .badHeader("missing Content-Length"))
        // Too large: the content is skipped without being held, then framing resumes.
        frames = framer.feed(Array("Content-Length: 5000\r\n\r\n".utf8) + [UInt8](repeating: 65, count: 5000) + good)
        #expect(frames.count == 2)
        #expect(frames.last == .message(Data(goodText.utf8)))
    }

    @Test func jsonRPCParsing() throws {
        func parse(_ s: String) -> Result<JSONRPCMessage, ResponseError> {
            JSONRPCMessage.parse(Data(s.utf8)).mapError { $0.error }
        }
        #expect(try parse(#"{"jsonrpc":"2.0","id":3,"method":"x","params":{}}"#).get() == .request(id: .number(3), method: "x", params: [:]))
        #expect(try parse(#"{"jsonrpc":"2.0","id":"a","result":null}"#).get() == .response(id: .string("a"), result: .success(.null)))
        #expect(try parse(#"{"jsonrpc":"2.0","method":"n"}"#).get() == .notification(method: "n", params: nil))
        #expect(parse("{not json").failure?.code == -32700)
        #expect(parse("{not json").failure?.message == "the message is not valid JSON (malformed JSON at byte 1: expected a string key)")
        #expect(parse("[1,2]").failure?.code == -32600)
        #expect(parse(#"{"id":1,"method":"x"}"#).failure?.code == -32600)
        #expect(parse(#"{"jsonrpc":"2.0","id":1,"method":7}"#).failure?.code == -32600)
        #expect(parse(#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#).failure?.code == -32600)
        #expect(parse(#"{"jsonrpc":"2.0","id":{},"method":"x"}"#).failure?.code == -32600)
        // Round trip.
        let message = JSONRPCMessage.request(id: .number(1), method: "m", params: ["a": [1, "b", true, nil]])
        #expect(try parse(String(decoding: message.serialized(), as: UTF8.self)).get() == message)
    }

    @Test func encodingNegotiation() {
        #expect(EditorSettings.negotiateEncoding(["utf-16", "utf-32"]) == .utf32)
        #expect(EditorSettings.negotiateEncoding(["utf-8", "utf-16"]) == .utf8)
        #expect(EditorSettings.negotiateEncoding([]) == .utf16)
    }

    @Test func wordCompletionRanksByFrequency() {
        let texts = ["let fooBar = 1; fooBar += food", "fooBar(foo); für fürst fürst"]
        #expect(WordCompletion.candidates(prefix: "foo", in: texts) == ["fooBar", "food"])
        #expect(WordCompletion.candidates(prefix: "für", in: texts) == ["fürst"])
        #expect(WordCompletion.candidates(prefix: "", in: texts).isEmpty)
    }
}

extension Result {
    var failure: Failure? { if case let .failure(f) = self { f } else { nil } }
}
