import Foundation
import Logging
import MeshClient
import MeshOT
import MeshProtocol

/// `mesh lsp`: a language server whose "language" is collaboration. It keeps the editor's
/// buffers in step with a Mesh session (one ``EditorSync`` per open file), shows the other
/// participants' cursors, selections, annotations and chat with standard LSP features, and
/// offers Mesh's commands.
///
/// Every message from the editor and from the Mesh server is handled on this actor, in the
/// order it arrived; nothing here awaits the editor, so no reply can overtake a `didChange`.
/// What runs beside that (the session connection, timers, commands that wait on the network)
/// is ``BackgroundWork`` in ``run(_:)``'s task group, and ends with it.
public actor LanguageServer {
    /// Sends a message to the editor.
    public typealias Send = @Sendable (JSONRPCMessage) -> Void

    enum Phase { case waitingForInitialize, running, shuttingDown }

    let sendToEditor: Send
    let environment: [String: String]
    let logger: Logger
    var phase = Phase.waitingForInitialize
    var encoding = PositionEncoding.utf16
    var client = ClientFeatures()
    var options = InitializationOptions()
    /// The folder holding `.mesh/session.json` (or the editor's root until one is shared).
    var workspaceRoot: URL?
    var editorRoot: URL?

    /// Files the editor has open, by URI.
    var editorFiles: [String: EditorFile] = [:]
    /// The session's documents this bridge follows, by session path.
    var documents: [String: SharedDocument] = [:]
    /// Paths with an `open` sent and no snapshot yet.
    var opening: Set<String> = []

    var link: SessionLink?
    var sessionID: String?
    var serverURL: String?
    var me: ServerMessage.Participant?
    var participants: [String: Peer] = [:]
    var sessionDocuments: Set<String> = []
    var following: String?
    var localCursor: (path: String, selections: [SelectionRange])?
    var presenceDirty: Set<String> = []
    var presenceRenderScheduled = false
    var cursorSendScheduled = false
    var diskWrites: Set<String> = []
    /// Per closed document, the text Mesh last wrote to disk or took from it (none: unknown,
    /// the next write sets it); a change on disk is the difference from it.
    var onDisk: [String: String] = [:]
    /// Documents whose file was deleted on disk: no longer written there.
    var goneFromDisk: Set<String> = []
    /// Changes to the shared folder made outside the editor.
    var diskWatcher: FolderWatcher?
    /// Paths changed on disk while the session was not connected.
    var changedWhileAway: Set<String> = []
    /// When a tool last changed each file: Mesh does not write a file within a second of that
    /// (a tool may write it in several steps).
    var lastExternalChange: [String: ContinuousClock.Instant] = [:]
    var diskWriteScheduled = false
    var reconnectAttempt = 0
    /// Sends fresh access tokens over the session socket before they expire (cancelled when
    /// the link changes or the server disconnects).
    var tokenRenewal: Task<Void, Never>?
    /// Jobs run by ``run(_:)``'s task group.
    let background = BackgroundWork()
    /// Commands that wait on the network: answered in the background, so that they never hold
    /// up the editor's later messages (a `didChange` typed meanwhile).
    static let networkCommands: Set<String> = ["mesh.share", "mesh.join"]
    var lastFollowed: (path: String, line: Int)?
    /// Makes this bridge's op ids unique (`<instance>:<n>`).
    let instanceID = String(UUID().uuidString.prefix(8)).lowercased()
    var clientCounter = 0

    /// Requests we sent the editor, awaiting its answer.
    var editorRequests: [RequestID: EditorRequest] = [:]
    var nextRequestID = 1
    /// Requests the editor cancelled before we answered.
    var cancelled: Set<RequestID> = []
    /// Set by `exit`: the process exit code.
    public private(set) var exitCode: Int32?

    enum EditorRequest {
        case applyEdit(uri: String, syncID: Int)
        case other
    }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "mesh.lsp"), send: @escaping Send) {
        self.environment = environment
        self.logger = logger
        self.sendToEditor = send
    }

    /// Serves one connection until the editor sends `exit` or closes the input; returns the
    /// exit code (0 after `shutdown`, else 1, as LSP asks).
    public static func serve(_ connection: JSONRPCConnection,
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             logger: Logger = Logger(label: "mesh.lsp")) async -> Int32 {
        let server = LanguageServer(environment: environment, logger: logger) { connection.send($0) }
        connection.start()
        return await server.run(connection.incoming)
    }

    /// Handles `incoming` in order until the editor sends `exit` or the input ends, with the
    /// background work in a task group beside it; then disconnects, cancels what still runs and
    /// returns the exit code.
    public func run(_ incoming: AsyncStream<JSONRPCConnection.Incoming>) async -> Int32 {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await message in incoming {
                    await self.handle(message)
                    if await self.exitCode != nil { break }
                }
                await self.disconnect()
                self.background.finish()
            }
            for await job in background.jobs { group.addTask { await job() } }
            group.cancelAll()
        }
        return exitCode ?? (phase == .shuttingDown ? 0 : 1)
    }

    // MARK: Dispatch

    /// Handles one message from the editor.
    public func handle(_ incoming: JSONRPCConnection.Incoming) async {
        switch incoming {
        case let .invalid(id, error):
            // A malformed message: answer it (when it has an id, or when it could not even be
            // parsed, as JSON-RPC asks) and carry on.
            sendToEditor(.response(id: id, result: .failure(error)))
        case let .message(.request(id, method, params)):
            await handleRequest(id: id, method: method, params: params)
        case let .message(.notification(method, params)):
            await handleNotification(method: method, params: params)
        case let .message(.response(id, result)):
            if let id { handleEditorResponse(id: id, result: result) }
        }
    }

    private func handleRequest(id: RequestID, method: String, params: JSONValue?) async {
        if phase == .running, method == "workspace/executeCommand",
           let command = params?["command"]?.string, Self.networkCommands.contains(command) {
            background.start { await self.answer(id: id, method: method, params: params) }
            return
        }
        await answer(id: id, method: method, params: params)
    }

    private func answer(id: RequestID, method: String, params: JSONValue?) async {
        let result: Result<JSONValue, ResponseError>
        if phase == .waitingForInitialize, method != "initialize" {
            result = .failure(.serverNotInitialized)
        } else if phase == .shuttingDown, method != "shutdown" {
            result = .failure(.invalidRequest("the server is shutting down"))
        } else if cancelled.remove(id) != nil {
            result = .failure(.requestCancelled)
        } else {
            do {
                result = .success(try await request(method, params ?? .null))
            } catch let error as ResponseError {
                result = .failure(error)
            } catch {
                result = .failure(.requestFailed("\(error)"))
            }
        }
        sendToEditor(.response(id: id, result: result))
    }

    private func request(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        switch method {
        case "initialize": return try initialize(params)
        case "shutdown":
            phase = .shuttingDown
            await disconnect()
            return .null
        case "textDocument/completion": return completion(params)
        case "textDocument/inlayHint": return inlayHints(params)
        case "textDocument/codeAction": return codeActions(params)
        case "textDocument/hover":
            noteCursor(TextDocumentPositionParams.decoded(from: params))
            return .null
        case "textDocument/signatureHelp", "textDocument/documentHighlight":
            // Not advertised: a provider that always answers null could hide a real language
            // server's answers in editors that take a feature from the first server offering it,
            // and the typing that triggers signature help already gives the cursor. A client
            // that sends them anyway gets null, and its position is taken as the cursor.
            noteCursor(TextDocumentPositionParams.decoded(from: params))
            return .null
        case "workspace/executeCommand": return try await executeCommand(params)
        default: throw ResponseError.methodNotFound(method)
        }
    }

    private func handleNotification(method: String, params: JSONValue?) async {
        let params = params ?? .null
        if method == "exit" {
            exitCode = phase == .shuttingDown ? 0 : 1
            return
        }
        guard phase == .running else { return }   // notifications before initialize are dropped
        switch method {
        case "initialized": startSession()
        case "$/cancelRequest":
            if let id = params["id"].flatMap(RequestID.init) { cancelled.insert(id) }
        case "textDocument/didOpen": didOpen(params)
        case "textDocument/didChange": didChange(params)
        case "textDocument/didClose": didClose(params)
        case "textDocument/didSave": break   // the session, not the disk, is the truth
        case "mesh/cursor": meshCursor(params)
        case "workspace/didChangeWorkspaceFolders", "workspace/didChangeConfiguration", "$/setTrace":
            break
        default:
            break   // unknown notifications are ignored, as LSP asks
        }
    }

    private func handleEditorResponse(id: RequestID, result: Result<JSONValue, ResponseError>) {
        guard let request = editorRequests.removeValue(forKey: id) else { return }
        switch request {
        case let .applyEdit(uri, syncID):
            let applied: Bool
            switch result {
            case let .success(value): applied = (try? value.decode(ApplyWorkspaceEditResult.self))?.applied ?? false
            case .failure: applied = false
            }
            applyEditAnswered(uri: uri, syncID: syncID, applied: applied)
        case .other:
            break
        }
    }

    // MARK: Talking to the editor

    func notifyEditor(_ method: String, _ params: JSONValue) {
        sendToEditor(.notification(method: method, params: params))
    }

    /// Sends the editor a request; `params` nil for a request without parameters (the
    /// message then has no `params` member).
    @discardableResult
    func requestEditor(_ method: String, _ params: JSONValue?, as kind: EditorRequest = .other) -> RequestID {
        let id = RequestID.string("mesh-\(nextRequestID)")
        nextRequestID += 1
        editorRequests[id] = kind
        sendToEditor(.request(id: id, method: method, params: params))
        return id
    }

    /// `window/showMessage`: 1 error, 2 warning, 3 info.
    func show(_ text: String, type: Int = 3) {
        notifyEditor("window/showMessage", ["type": JSONValue(type), "message": .string(text)])
    }

    func log(_ text: String, type: Int = 4) {
        notifyEditor("window/logMessage", ["type": JSONValue(type), "message": .string(text)])
    }
}
