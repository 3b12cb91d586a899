import Foundation
@testable import MeshLSP
import MeshOT
import MeshProtocol

/// A scripted editor of `mesh lsp`: keeps one buffer and a cursor, applies `workspace/applyEdit`
/// like VS Code (only at the version it names, else `applied: false`), reports its own typing
/// with `didChange`, and records what the server shows (messages, diagnostics, presence, the
/// documents it is asked to show). How its messages reach `mesh lsp` is its subclass's:
/// ``EditorProcess`` (the `mesh lsp` binary on pipes) or ``InProcessEditor`` (a `LanguageServer`
/// in this process, through its `send:`).
class ScriptedEditor: @unchecked Sendable {
    let name: String
    /// Guards the state below (and a subclass's own reading state).
    let lock = NSLock()
    private var nextID = 1
    private var waiters: [String: CheckedContinuation<Result<JSONValue, ResponseError>, Never>] = [:]
    private var early: [String: Result<JSONValue, ResponseError>] = [:]
    private(set) var encoding = PositionEncoding.utf16
    private(set) var uri = ""
    private(set) var text = TextBuffer()
    private(set) var version = 0
    /// Where the user types next (a scalar offset); remote edits before it move it.
    private(set) var cursor = 0
    private(set) var messages: [String] = []
    private(set) var logs: [String] = []
    private(set) var diagnostics: [String: [JSONValue]] = [:]
    private(set) var presence: [String: JSONValue] = [:]
    private(set) var shown: [JSONValue] = []
    private(set) var applyEditsSeen = 0
    private(set) var refreshes = 0
    /// When set, edits from the server are answered `applied: false` (a busy editor).
    var rejectEdits = false
    /// When set, edits from the server are neither applied nor answered (an editor that has not
    /// got to them yet); counted in `heldEdits`.
    var holdEdits = false
    private(set) var heldEdits = 0

    init(name: String) {
        self.name = name
    }

    /// What `mesh lsp` logged (`window/logMessage`) so far.
    var loggedMessages: [String] { lock.withLock { logs } }
    /// What the server showed and logged, for failure messages.
    var transcript: String {
        lock.withLock { "\(name): shown \(messages), logged \(logs), text \(String(reflecting: text.description)), applyEdits \(applyEditsSeen)" }
    }

    // MARK: Sending

    /// Carries one message to `mesh lsp`: the subclass's transport.
    func send(_ message: JSONRPCMessage) {
        preconditionFailure("\(Swift.type(of: self)) carries no messages")
    }

    func notify(_ method: String, _ params: JSONValue) { send(.notification(method: method, params: params)) }

    /// Sends a request and waits (at most `timeout`) for its answer.
    func request(_ method: String, _ params: JSONValue, timeout: Duration = .seconds(20)) async throws -> Result<JSONValue, ResponseError> {
        let id = lock.withLock { () -> Int in nextID += 1; return nextID }
        let key = "\(id)"
        send(.request(id: .number(id), method: method, params: params))
        return try await response(key, timeout: timeout)
    }

    func response(_ key: String, timeout: Duration) async throws -> Result<JSONValue, ResponseError> {
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.resolve(key, .failure(ResponseError(code: 0, message: "no answer within \(timeout)")))
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            lock.lock()
            if let answer = early.removeValue(forKey: key) {
                lock.unlock()
                continuation.resume(returning: answer)
            } else {
                waiters[key] = continuation
                lock.unlock()
            }
        }
    }

    private func resolve(_ key: String, _ result: Result<JSONValue, ResponseError>) {
        lock.lock()
        if let waiter = waiters.removeValue(forKey: key) {
            lock.unlock()
            waiter.resume(returning: result)
        } else {
            early[key] = result
            lock.unlock()
        }
    }

    // MARK: The editor

    /// initialize + initialized + didOpen of one file.
    func start(root: URL, file: URL, encodings: [String], initializationOptions: JSONValue = .null) async throws {
        let answer = try await request("initialize", [
            "processId": .null, "rootUri": .string(root.absoluteString),
            "capabilities": [
                "general": ["positionEncodings": .array(encodings.map { .string($0) })],
                "workspace": ["workspaceEdit": ["documentChanges": true], "inlayHint": ["refreshSupport": true]],
                "window": ["showDocument": ["support": true]],
            ],
            "initializationOptions": initializationOptions,
            "clientInfo": ["name": .string("scripted-\(name)")],
        ]).get()
        let negotiated = PositionEncoding(rawValue: answer["capabilities"]?["positionEncoding"]?.string ?? "utf-16") ?? .utf16
        lock.withLock { encoding = negotiated }
        notify("initialized", [:])
        let content = try String(contentsOf: file, encoding: .utf8)
        lock.withLock {
            uri = file.absoluteString
            text = TextBuffer(content)
            version = 1
            cursor = 0
        }
        notify("textDocument/didOpen", ["textDocument": ["uri": .string(file.absoluteString), "languageId": "plaintext",
                                                         "version": 1, "text": .string(content)]])
    }

    /// The user edits the buffer (scalar offsets); the change is reported at once, and the
    /// cursor ends after the new text.
    func edit(_ range: Range<Int>, _ newText: String) {
        lock.lock()
        defer { lock.unlock() }
        var range = range.clamped(to: 0..<(text.count + 1))
        range = min(range.lowerBound, text.count)..<min(range.upperBound, text.count)
        var newText = newText
        // LSP cannot place a position between \r and \n: widen as a real editor would.
        if range.lowerBound > 0, text.splitsLineBreak(at: range.lowerBound) { range = (range.lowerBound - 1)..<range.upperBound; newText = "\r" + newText }
        if range.upperBound < text.count, text.splitsLineBreak(at: range.upperBound) { range = range.lowerBound..<(range.upperBound + 1); newText += "\n" }
        let lspRange = LSPRange(start: text.position(at: range.lowerBound, encoding: encoding), end: text.position(at: range.upperBound, encoding: encoding))
        text.replace(range, with: newText)
        cursor = range.lowerBound + newText.unicodeScalars.count
        version += 1
        send(.notification(method: "textDocument/didChange", params: [
            "textDocument": ["uri": .string(uri), "version": JSONValue(version)],
            "contentChanges": [["range": JSONValue.encode(lspRange), "text": .string(newText)]],
        ]))
    }

    /// Puts the cursor at `offset` (clamped to the text).
    func moveCursor(to offset: Int) {
        lock.withLock { cursor = min(max(0, offset), text.count) }
    }

    /// The user types `key` at the cursor (one `didChange`).
    func typeKey(_ key: String) {
        let at = lock.withLock { cursor }
        edit(at..<at, key)
    }

    var currentText: String { lock.withLock { text.description } }
    var shownMessages: [String] { lock.withLock { messages } }
    var currentDiagnostics: [JSONValue] { lock.withLock { diagnostics[uri] ?? [] } }
    var currentPresence: JSONValue? { lock.withLock { presence[uri] } }
    /// The `window/showDocument` requests received, as their params.
    var shownDocuments: [JSONValue] { lock.withLock { shown } }

    func position(at offset: Int) -> LSPPosition { lock.withLock { text.position(at: min(offset, text.count), encoding: encoding) } }

    // MARK: Receiving

    /// Handles one message from `mesh lsp` (the subclass hands each one here).
    func handle(_ message: JSONRPCMessage) {
        switch message {
        case let .response(id, result):
            if let id { resolve(id.description, result) }
        case let .request(id, method, params):
            answer(id: id, method: method, params: params ?? .null)
        case let .notification(method, params):
            lock.withLock {
                switch method {
                case "window/showMessage": messages.append(params?["message"]?.string ?? "")
                case "window/logMessage": logs.append(params?["message"]?.string ?? "")
                case "textDocument/publishDiagnostics":
                    if let uri = params?["uri"]?.string { diagnostics[uri] = params?["diagnostics"]?.array ?? [] }
                case "mesh/presence":
                    if let uri = params?["uri"]?.string { presence[uri] = params }
                default: break
                }
            }
        }
    }

    private func answer(id: RequestID, method: String, params: JSONValue) {
        switch method {
        case "workspace/applyEdit":
            lock.lock()
            applyEditsSeen += 1
            if holdEdits {
                heldEdits += 1
                lock.unlock()
                return
            }
            let change = params["edit"]?["documentChanges"]?[0]
            guard !rejectEdits, let change, change["textDocument"]?["version"]?.int == version,
                  change["textDocument"]?["uri"]?.string == uri,
                  let edits = try? (change["edits"] ?? .null).decode([LSPTextEdit].self)
            else {
                lock.unlock()
                send(.response(id: id, result: .success(["applied": false])))
                return
            }
            // Apply from the last edit backwards so that earlier ranges stay valid; report
            // the changes in the order applied (as VS Code does), then answer. The cursor moves
            // with text inserted or removed before it (an insertion right at it stays after it).
            var changes: [JSONValue] = []
            let sorted = edits.sorted { ($0.range.start.line, $0.range.start.character) > ($1.range.start.line, $1.range.start.character) }
            for edit in sorted {
                let start = text.offset(at: edit.range.start, encoding: encoding)
                let end = text.offset(at: edit.range.end, encoding: encoding)
                changes.append(["range": JSONValue.encode(edit.range), "text": .string(edit.newText)])
                text.replace(start..<end, with: edit.newText)
                if cursor >= end, cursor > start {
                    cursor += edit.newText.unicodeScalars.count - (end - start)
                } else if cursor > start {
                    cursor = start
                }
            }
            version += 1
            send(.notification(method: "textDocument/didChange", params: [
                "textDocument": ["uri": .string(uri), "version": JSONValue(version)], "contentChanges": .array(changes),
            ]))
            lock.unlock()
            send(.response(id: id, result: .success(["applied": true])))
        case "workspace/inlayHint/refresh":
            lock.withLock { refreshes += 1 }
            send(.response(id: id, result: .success(.null)))
        case "window/showDocument":
            lock.withLock { shown.append(params) }
            send(.response(id: id, result: .success(["success": true])))
        default:
            send(.response(id: id, result: .failure(.methodNotFound(method))))
        }
    }
}
