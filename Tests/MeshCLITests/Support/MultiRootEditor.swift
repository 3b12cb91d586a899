import Foundation
@testable import MeshLSP
import MeshOT
import MeshProtocol

/// An editor window with several workspace folders and several open buffers, as VS Code is with
/// one language client for the whole window, running a `LanguageServer` in this process (as
/// ``InProcessEditor`` does for one folder and one buffer). Like VS Code it applies a
/// `workspace/applyEdit` only at the buffer version it names (else `applied: false`) and reports
/// what it applied, and its own typing, with `didChange`; positions are utf-16.
final class MultiRootEditor: @unchecked Sendable {
    let name: String
    private let lock = NSLock()
    private var buffers: [String: (text: TextBuffer, version: Int)] = [:]
    private var presence: [String: JSONValue] = [:]
    private var messages: [String] = []
    private var answers: [Int: Result<JSONValue, ResponseError>] = [:]
    private var nextID = 0
    private let incoming: AsyncStream<JSONRPCConnection.Incoming>
    private let input: AsyncStream<JSONRPCConnection.Incoming>.Continuation
    /// Set once, in `init`.
    private var server: LanguageServer?

    /// An editor whose `mesh lsp` logs in with the credentials in `home` (`MESH_HOME`).
    init(name: String, home: URL) {
        self.name = name
        (incoming, input) = AsyncStream.makeStream(of: JSONRPCConnection.Incoming.self)
        let environment = MeshBinary.baseEnvironment.merging(["MESH_HOME": home.path]) { $1 }
        server = LanguageServer(environment: environment) { [weak self] message in self?.handle(message) }
    }

    /// Runs the server until ``finish()`` (or `exit`); returns its exit code.
    func serve() async -> Int32 {
        guard let server else { return -1 }
        return await server.run(incoming)
    }

    /// Closes the editor's end: the server ends.
    func finish() {
        input.finish()
    }

    // MARK: Sending

    private func send(_ message: JSONRPCMessage) {
        input.yield(.message(message))
    }

    func notify(_ method: String, _ params: JSONValue) {
        send(.notification(method: method, params: params))
    }

    /// Sends a request and waits (at most `timeout`) for its answer.
    func request(_ method: String, _ params: JSONValue, timeout: Duration = .seconds(20)) async -> Result<JSONValue, ResponseError> {
        let id = lock.withLock { () -> Int in
            nextID += 1
            return nextID
        }
        send(.request(id: .number(id), method: method, params: params))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let answer = lock.withLock({ answers.removeValue(forKey: id) }) { return answer }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return .failure(ResponseError(code: 0, message: "no answer to \(method) within \(timeout)"))
    }

    /// A workspace folder as LSP names it.
    static func folder(_ url: URL) -> JSONValue {
        ["uri": .string(url.absoluteString), "name": .string(url.lastPathComponent)]
    }

    /// `initialize` with `folders` as the workspace folders (the first also as `rootUri`), then
    /// `initialized`.
    func initialize(folders: [URL]) async throws {
        _ = try await request("initialize", [
            "processId": .null, "rootUri": .string(folders[0].absoluteString),
            "workspaceFolders": .array(folders.map(Self.folder)),
            "capabilities": [
                "workspace": ["workspaceEdit": ["documentChanges": true], "inlayHint": ["refreshSupport": true],
                              "workspaceFolders": true],
            ],
            "clientInfo": ["name": .string("scripted-\(name)")],
        ]).get()
        notify("initialized", [:])
    }

    /// Opens `file` (its text read from disk); returns its URI.
    func open(_ file: URL) throws -> String {
        let text = try String(contentsOf: file, encoding: .utf8)
        let uri = file.absoluteString
        lock.withLock { buffers[uri] = (TextBuffer(text), 1) }
        notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "plaintext", "version": 1,
                                                         "text": .string(text)]])
        return uri
    }

    /// The user types `text` at scalar offset `offset` of buffer `uri` (one `didChange`).
    func typeText(_ text: String, at offset: Int, in uri: String) {
        lock.lock()
        defer { lock.unlock() }
        guard var buffer = buffers[uri] else { return }
        let at = min(offset, buffer.text.count)
        let lspPosition: LSPPosition = buffer.text.position(at: at, encoding: .utf16)
        let position = JSONValue.encode(lspPosition)
        buffer.text.replace(at..<at, with: text)
        buffer.version += 1
        buffers[uri] = buffer
        send(.notification(method: "textDocument/didChange", params: [
            "textDocument": ["uri": .string(uri), "version": JSONValue(buffer.version)],
            "contentChanges": [["range": ["start": position, "end": position], "text": .string(text)]],
        ]))
    }

    func text(_ uri: String) -> String? { lock.withLock { buffers[uri]?.text.description } }
    /// The last `mesh/presence` for `uri` (the first one says its document is bridged).
    func presence(of uri: String) -> JSONValue? { lock.withLock { presence[uri] } }
    var shownMessages: [String] { lock.withLock { messages } }

    // MARK: Receiving

    private func handle(_ message: JSONRPCMessage) {
        switch message {
        case let .response(id, result):
            if case let .number(number)? = id { lock.withLock { answers[number] = result } }
        case let .request(id, method, params):
            if method == "workspace/applyEdit" {
                send(.response(id: id, result: .success(["applied": .bool(applyEdit(params ?? .null))])))
            } else {
                send(.response(id: id, result: .success(.null)))   // inlay-hint refreshes, showDocument
            }
        case let .notification(method, params):
            lock.withLock {
                switch method {
                case "window/showMessage": messages.append(params?["message"]?.string ?? "")
                case "mesh/presence": if let uri = params?["uri"]?.string { presence[uri] = params }
                default: break
                }
            }
        }
    }

    /// Applies a versioned edit to the buffer it names when the version is the buffer's, reports
    /// it with `didChange` (sent before the answer, as VS Code does) and says whether it did.
    private func applyEdit(_ params: JSONValue) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let change = params["edit"]?["documentChanges"]?[0]
        guard let uri = change?["textDocument"]?["uri"]?.string, var buffer = buffers[uri],
              change?["textDocument"]?["version"]?.int == buffer.version,
              let edits = try? (change?["edits"] ?? .null).decode([LSPTextEdit].self)
        else { return false }
        var reported: [JSONValue] = []
        // From the last edit backwards, so that earlier ranges stay valid.
        for edit in edits.sorted(by: { ($0.range.start.line, $0.range.start.character) > ($1.range.start.line, $1.range.start.character) }) {
            let start = buffer.text.offset(at: edit.range.start, encoding: .utf16)
            let end = buffer.text.offset(at: edit.range.end, encoding: .utf16)
            buffer.text.replace(start..<end, with: edit.newText)
            reported.append(["range": JSONValue.encode(edit.range), "text": .string(edit.newText)])
        }
        buffer.version += 1
        buffers[uri] = buffer
        send(.notification(method: "textDocument/didChange", params: [
            "textDocument": ["uri": .string(uri), "version": JSONValue(buffer.version)], "contentChanges": .array(reported),
        ]))
        return true
    }
}
