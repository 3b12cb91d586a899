import Foundation
import MeshProtocol
import NIOConcurrencyHelpers
import Testing
@testable import MeshLSP
import MeshTestSupport

/// `mesh lsp` fed hostile JSON-RPC from its editor (issue 11): requests and notifications with
/// edge numbers, wrong types, huge strings and ranges far outside the text. It must not crash,
/// and must answer every request exactly once.
@Suite struct LanguageServerFuzzTests {
    @Test func hostileEditorMessagesAreAnsweredNotFatal() async throws {
        let count = (Int(ProcessInfo.processInfo.environment["MESH_FUZZ_FRAMES"] ?? "") ?? 100_000) / 5
        let answered = NIOLockedValueBox<[String: Int]>([:])
        let server = LanguageServer(environment: ["HOME": "/nonexistent", "MESH_HOME": "/nonexistent/mesh"]) { message in
            if case let .response(id, _) = message, let id { answered.withLockedValue { $0["\(id)", default: 0] += 1 } }
        }
        func send(_ text: String) async {
            switch JSONRPCMessage.parse(Data(text.utf8)) {
            case let .success(message): await server.handle(.message(message))
            case let .failure(failure): await server.handle(.invalid(failure.id, failure.error))
            }
        }
        await send(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{},"rootUri":"file:///tmp/mesh-fuzz"}}"#)
        await send(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
        let uri = "file:///tmp/mesh-fuzz/a.txt"
        let templates = [
            #"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"\#(uri)","languageId":"go","version":0,"text":"package main\nfunc main() {}\n"}}}"#,
            #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"\#(uri)","version":3},"contentChanges":[{"range":{"start":{"line":1,"character":4},"end":{"line":1,"character":8}},"text":"x"}]}}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{"textDocument":{"uri":"\#(uri)"},"position":{"line":1,"character":2}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"textDocument/completion","params":{"textDocument":{"uri":"\#(uri)"},"position":{"line":0,"character":3}}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"textDocument/inlayHint","params":{"textDocument":{"uri":"\#(uri)"},"range":{"start":{"line":0,"character":0},"end":{"line":9,"character":0}}}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"\#(uri)"},"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"context":{"diagnostics":[]}}}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"workspace/executeCommand","params":{"command":"mesh.who","arguments":[]}}"#,
            #"{"jsonrpc":"2.0","method":"mesh/cursor","params":{"textDocument":{"uri":"\#(uri)"},"selections":[{"anchor":{"line":0,"character":1},"head":{"line":0,"character":2}}]}}"#,
            #"{"jsonrpc":"2.0","id":6,"result":{"applied":true}}"#,
            #"{"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":"\#(uri)"}}}"#,
        ]
        var generator = HostileFrames(seed: 11, paths: [])
        var requests: [String: Int] = ["0": 1]
        for index in 0..<count {
            var text = templates[generator.random.int(0...(templates.count - 1))]
            if generator.random.int(0...3) > 0 { text = generator.mutate(text) }
            // A unique id per request, so that every answer can be counted.
            if text.contains(#""id":"#), text.contains(#""method""#) {
                text = text.replacingOccurrences(of: #""id":"#, with: #""id":"f\#(index)","x":"#)
                if case let .success(.request(id, _, _)) = JSONRPCMessage.parse(Data(text.utf8)) { requests["\(id)", default: 0] += 1 }
            }
            await send(text)
        }
        let answers = answered.withLockedValue { $0 }
        let unanswered = requests.filter { answers[$0.key] != $0.value }
        #expect(unanswered.isEmpty, "\(unanswered.count) of \(requests.count) requests were not answered exactly once, e.g. \(unanswered.prefix(3))")
        print("mesh lsp: \(count) hostile messages, \(requests.count) requests, each answered once")
        await send(#"{"jsonrpc":"2.0","id":"last","method":"shutdown"}"#)
    }
}
