import Foundation
import MeshProtocol
import NIOConcurrencyHelpers
import MeshTestSupport
import Testing
@testable import MeshLSP
#if canImport(Glibc)
import Glibc
#endif

/// `mesh lsp` answers the editor in order, but what waits on the network runs beside that: a
/// `mesh.join` whose server does not answer holds up no later message, and ending the server
/// ends it.
@Suite struct BackgroundWorkTests {
    /// A TCP listener on 127.0.0.1 that accepts connections and never answers.
    final class SilentServer: Sendable {
        let fd: Int32
        let port: Int
        init() throws { (fd, port) = try LoopbackListener.open() }
        deinit { close(fd) }
    }

    struct TestFailure: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    @Test func aJoinWaitingOnTheNetworkHoldsUpNoLaterMessage() async throws {
        let silent = try SilentServer()
        let server = "http://127.0.0.1:\(silent.port)"
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-background-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let sent = NIOLockedValueBox<[JSONRPCMessage]>([])
        let lsp = LanguageServer(environment: ["HOME": "/nonexistent", "MESH_HOME": "/nonexistent/mesh"]) { message in
            sent.withLockedValue { $0.append(message) }
        }
        let (input, editor) = AsyncStream.makeStream(of: JSONRPCConnection.Incoming.self)
        let serving = Task { await lsp.run(input) }
        func responseIDs() -> [RequestID] {
            sent.withLockedValue { $0.compactMap { if case let .response(id?, _) = $0 { return id }; return nil } }
        }
        editor.yield(.message(.request(id: .number(1), method: "initialize", params: [
            "processId": .null, "rootUri": .string(root.absoluteString), "capabilities": [:],
            "initializationOptions": ["server": .string(server), "token": "a-token"],
        ])))
        editor.yield(.message(.notification(method: "initialized", params: [:])))
        editor.yield(.message(.request(id: .number(2), method: "workspace/executeCommand", params: [
            "command": "mesh.join", "arguments": [.string("\(server)/join/abcdefgh")],
        ])))
        editor.yield(.message(.request(id: .number(3), method: "textDocument/hover", params: [
            "textDocument": ["uri": .string(root.appendingPathComponent("a.txt").absoluteString)],
            "position": ["line": 0, "character": 0],
        ])))
        // The hover is answered while the join still waits for the silent server.
        let deadline = ContinuousClock.now + .seconds(30)
        while !responseIDs().contains(.number(3)), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(responseIDs() == [.number(1), .number(3)], "\(responseIDs())")
        // Ending the input ends the server, and with it the join's wait: run returns.
        editor.finish()
        let code = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask { await serving.value }
            // Generous: the suites run in parallel on two cores, and some block pool threads.
            group.addTask { try await Task.sleep(for: .seconds(60)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(code == 1, "run did not return after the input ended while a join waited")
    }

    /// The commands part and the document bridge: while a `mesh.join` waits on a server that never
    /// answers, the editor opens a file and types, and a completion asked after the typing
    /// completes the word typed (so the `didChange` was taken, in order, before it). Ending the
    /// input ends the join.
    @Test func typingWhileACommandWaitsOnTheNetworkIsTakenInOrder() async throws {
        let silent = try SilentServer()
        let server = "http://127.0.0.1:\(silent.port)"
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-background-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let sent = NIOLockedValueBox<[JSONRPCMessage]>([])
        let lsp = LanguageServer(environment: ["HOME": "/nonexistent", "MESH_HOME": "/nonexistent/mesh"]) { message in
            sent.withLockedValue { $0.append(message) }
        }
        let (input, editor) = AsyncStream.makeStream(of: JSONRPCConnection.Incoming.self)
        let serving = Task { await lsp.run(input) }
        func answer(_ id: Int) -> Result<JSONValue, ResponseError>? {
            sent.withLockedValue { messages in
                for case let .response(.number(answered)?, result) in messages where answered == id { return result }
                return nil
            }
        }
        let uri = JSONValue.string(root.appendingPathComponent("a.txt").absoluteString)
        editor.yield(.message(.request(id: .number(1), method: "initialize", params: [
            "processId": .null, "rootUri": .string(root.absoluteString), "capabilities": [:],
            "initializationOptions": ["server": .string(server), "token": "a-token"],
        ])))
        editor.yield(.message(.notification(method: "initialized", params: [:])))
        editor.yield(.message(.request(id: .number(2), method: "workspace/executeCommand", params: [
            "command": "mesh.join", "arguments": [.string("\(server)/join/abcdefgh")],
        ])))
        editor.yield(.message(.notification(method: "textDocument/didOpen", params: [
            "textDocument": ["uri": uri, "languageId": "plaintext", "version": 1, "text": "meshword\n"],
        ])))
        editor.yield(.message(.notification(method: "textDocument/didChange", params: [
            "textDocument": ["uri": uri, "version": 2],
            "contentChanges": [["range": ["start": ["line": 1, "character": 0], "end": ["line": 1, "character": 0]], "text": "mes"]],
        ])))
        editor.yield(.message(.request(id: .number(3), method: "textDocument/completion", params: [
            "textDocument": ["uri": uri], "position": ["line": 1, "character": 3],
        ])))
        let deadline = ContinuousClock.now + .seconds(30)
        while answer(3) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let completion = try #require(answer(3), "the completion waited for the join")
        let items = try completion.get()["items"]?.array ?? []
        #expect(items.contains { $0["label"]?.string == "meshword" }, "the typed prefix was not taken before the completion: \(items)")
        #expect(answer(2) == nil, "the join cannot have been answered: its server never answers")
        editor.finish()
        let code = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask { await serving.value }
            // Generous: the suites run in parallel on two cores, and some block pool threads.
            group.addTask { try await Task.sleep(for: .seconds(60)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(code == 1, "run did not return after the input ended while a join waited")
    }
}
