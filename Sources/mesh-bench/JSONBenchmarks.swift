import Foundation
import MeshOT
import MeshProtocol

/// `mesh-bench json`: parsing and writing the messages `mesh lsp`, `mesh dap` and the server's
/// debug relay handle, with `JSONValue`'s own reader and writer and, side by side in the same
/// run, with Foundation's `JSONDecoder`/`JSONEncoder` going through `JSONValue`'s `Codable`
/// conformance (what `parse` and `serialized` used before).
func runJSONSuite() throws {
    #if DEBUG
    print("warning: debug build; run `swift run -c release mesh-bench json` for real figures")
    #endif
    print(jsonRow("message", "bytes", "parse", "parse (Codable)", "write", "write (Codable)"))
    for (name, text) in jsonSamples() {
        let data = Data(text.utf8)
        let value = try JSONValue.parse(data)
        guard try JSONDecoder().decode(JSONValue.self, from: data) == value else { throw BenchError("\(name): readers disagree") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let rounds = max(200, 2_000_000 / data.count)
        let parse = try microseconds(rounds) { _ = try JSONValue.parse(data) }
        let parseCodable = try microseconds(rounds) { _ = try JSONDecoder().decode(JSONValue.self, from: data) }
        let write = microseconds(rounds) { _ = value.serialized() }
        let writeCodable = try microseconds(rounds) { _ = try encoder.encode(value) }
        print(jsonRow(name, "\(data.count)", String(format: "%.2f µs", parse), String(format: "%.2f µs", parseCodable),
                  String(format: "%.2f µs", write), String(format: "%.2f µs", writeCodable)))
    }
    try runWireSuite()
}

/// The collaboration messages of a keystroke, through `WireCodec` and, side by side, through
/// Codable (what the server and clients used before): a client's `op` is read by the server, its
/// `ack` and `remoteOp` written, and the reverse on the clients.
private func runWireSuite() throws {
    print("")
    print(jsonRow("WebSocket message", "bytes", "read", "read (Codable)", "write", "write (Codable)"))
    let operation = TextOperation([.retain(1_204), .insert("x"), .retain(88)])
    let author = "6F1C2B8E-9A3D-4E5F-8C7B-1D2E3F4A5B6C"
    let client: [(String, ClientMessage)] = [
        ("op", .op(.init(path: "Sources/App/main.swift", baseRev: 4_211, ops: operation, opId: "c7:4212"))),
        ("ping", .ping(.init(id: "p"))),
    ]
    let server: [(String, ServerMessage)] = [
        ("ack", .ack(.init(path: "Sources/App/main.swift", rev: 4_212, opId: "c7:4212"))),
        ("remoteOp", .remoteOp(.init(path: "Sources/App/main.swift",
                                     committed: CommittedOperation(revision: 4_212, operation: operation, opId: "c7:4212", author: author)))),
    ]
    for (name, message) in client {
        try timeWire(name, message, encode: WireCodec.encode, decode: WireCodec.decode)
    }
    for (name, message) in server {
        try timeWire(name, message, encode: { WireCodec.encode($0) }, decode: WireCodec.decodeServerMessage)
    }
}

/// One row: `message` read and written through `WireCodec` and through Codable.
private func timeWire<Message: Codable & Equatable>(_ name: String, _ message: Message,
                                                    encode: (Message) throws -> String,
                                                    decode: (String) throws -> Message) throws {
    let rounds = 200_000
    let text = try encode(message)
    guard try decode(text) == message else { throw BenchError("\(name): WireCodec does not read back") }
    let read = try microseconds(rounds) { _ = try decode(text) }
    let readCodable = try microseconds(rounds) { _ = try JSONDecoder().decode(Message.self, from: Data(text.utf8)) }
    let write = try microseconds(rounds) { _ = try encode(message) }
    let writeCodable = try microseconds(rounds) { _ = String(decoding: try JSONEncoder().encode(message), as: UTF8.self) }
    print(jsonRow(name, "\(text.utf8.count)", String(format: "%.2f µs", read), String(format: "%.2f µs", readCodable),
                  String(format: "%.2f µs", write), String(format: "%.2f µs", writeCodable)))
}

private func jsonRow(_ cells: String...) -> String { padded(cells, widths: [24, 6, 10, 16, 10, 0]) }

/// Mean microseconds per call over `rounds` calls (after one warm-up call).
private func microseconds(_ rounds: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    let start = DispatchTime.now()
    for _ in 0..<rounds { try body() }
    return elapsed(since: start) * 1e6 / Double(rounds)
}

/// Messages of the shapes Mesh relays: DAP requests, responses and events as Delve 1.20 sends
/// them, and LSP notifications.
private func jsonSamples() -> [(String, String)] {
    let frames = (0..<5).map { i in
        #"{"id":\#(1000 + i),"name":"main.helper\#(i)","source":{"name":"main.go","path":"/workspace/debugme/main.go"},"line":\#(20 + i),"column":0,"instructionPointerReference":"0x49a\#(i)c0"}"#
    }.joined(separator: ",")
    let threads = (1...12).map { #"{"id":\#($0),"name":"* [Go \#($0)] main.total (Thread \#(300 + $0))"}"# }.joined(separator: ",")
    let variables = (0..<10).map {
        #"{"name":"v\#($0)","value":"[]int len: 3, cap: 4, [1,2,3]","type":"[]int","presentationHint":{},"evaluateName":"v\#($0)","variablesReference":\#(2000 + $0),"indexedVariables":3}"#
    }.joined(separator: ",")
    let text = String(repeating: "func main() {\\n\\tfmt.Println(\\\"héllo, 世界\\\")\\n}\\n", count: 200)
    return [
        ("DAP next request", #"{"seq":12,"type":"request","command":"next","arguments":{"threadId":1,"granularity":"line"}}"#),
        ("DAP stopped event", #"{"seq":0,"type":"event","event":"stopped","body":{"reason":"step","threadId":1,"allThreadsStopped":true}}"#),
        ("DAP threads response", #"{"seq":0,"type":"response","request_seq":40,"success":true,"command":"threads","body":{"threads":[\#(threads)]}}"#),
        ("DAP stackTrace response", #"{"seq":0,"type":"response","request_seq":41,"success":true,"command":"stackTrace","body":{"stackFrames":[\#(frames)],"totalFrames":12}}"#),
        ("DAP variables response", #"{"seq":0,"type":"response","request_seq":42,"success":true,"command":"variables","body":{"variables":[\#(variables)]}}"#),
        ("LSP didChange", #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///home/ada/project/main.go","version":42},"contentChanges":[{"range":{"start":{"line":12,"character":4},"end":{"line":12,"character":4}},"text":"x"}]}}"#),
        ("LSP didOpen, 10 KB", #"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///home/ada/project/main.go","languageId":"go","version":1,"text":"\#(text)"}}}"#),
    ]
}
