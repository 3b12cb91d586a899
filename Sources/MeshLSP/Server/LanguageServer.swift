import Foundation
import Logging
import MeshClient
import MeshOT
import MeshProtocol

/// `mesh lsp`: a language server whose "language" is collaboration. It keeps the editor's
/// buffers in step with a Mesh session, shows the other participants' cursors, selections,
/// annotations and chat with standard LSP features, and offers Mesh's commands.
///
/// This actor is a dispatcher: it reads each message of the editor (and each ``BackgroundWork``
/// event: a message from the Mesh server, a timer, a change on disk) into its typed form and
/// routes it to the parts, which own their state and their tasks:
/// - ``SessionConnection`` — the session link: connecting, reconnecting, the token renewal;
/// - ``DocumentBridge`` — editor buffers ↔ session documents, and the folder on disk;
/// - ``Presence`` — the others' cursors, selections and annotations, our cursor, following;
/// - ``Commands`` — `workspace/executeCommand` and the code actions.
/// The parts are values owned by this actor and talk through small named interfaces: the
/// session's ``SessionPort``, the bridge's ``DocumentChange``s and ``DocumentView``s, the
/// shared ``EditorChannel`` and ``BackgroundWork``.
///
/// Every message is handled on this actor, in the order it arrived, each in one synchronous step
/// of the parts; nothing here awaits the editor, so no reply can overtake a `didChange`, and an
/// edit from the editor and one from the server are applied in the order they came. What runs
/// beside that (each part's tasks, and the commands that wait on the network) is a
/// ``BackgroundWork`` job in ``run(_:)``'s task group, and ends with it.
public actor LanguageServer {
    /// Sends a message to the editor.
    public typealias Send = @Sendable (JSONRPCMessage) -> Void

    enum Phase { case waitingForInitialize, running, shuttingDown }

    let editor: EditorChannel
    /// Jobs run by ``run(_:)``'s task group.
    let background: BackgroundWork
    let environment: [String: String]
    let logger: Logger
    var phase = Phase.waitingForInitialize
    /// Fixed by `initialize`, which makes the parts anew with it.
    var settings = EditorSettings()
    var session: SessionConnection
    var bridge: DocumentBridge
    var presence: Presence
    /// Requests the editor cancelled before we answered.
    var cancelled: Set<RequestID> = []
    /// Set by `exit`: the process exit code.
    public private(set) var exitCode: Int32?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "mesh.lsp"), send: @escaping Send) {
        let editor = EditorChannel(send)
        let background = BackgroundWork()
        let settings = EditorSettings()
        self.editor = editor
        self.background = background
        self.environment = environment
        self.logger = logger
        session = SessionConnection(settings: settings, environment: environment, logger: logger, editor: editor, background: background)
        bridge = DocumentBridge(settings: settings, editor: editor, background: background)
        presence = Presence(settings: settings, editor: editor, background: background)
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
        let inbox = BackgroundWork.Inbox { event in await self.deliver(event) }
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await message in incoming {
                    await self.handle(message)
                    if await self.exitCode != nil { break }
                }
                await self.disconnect()
                self.background.finish()
            }
            for await job in background.jobs { group.addTask { await job(inbox) } }
            group.cancelAll()
        }
        return exitCode ?? (phase == .shuttingDown ? 0 : 1)
    }

    // MARK: The editor's messages

    /// Handles one message from the editor.
    public func handle(_ incoming: JSONRPCConnection.Incoming) async {
        switch incoming {
        case let .invalid(id, error):
            // A malformed message: answer it (when it has an id, or when it could not even be
            // parsed, as JSON-RPC asks) and carry on.
            editor.send(.response(id: id, result: .failure(error)))
        case let .message(.request(id, method, params)):
            await handleRequest(id: id, method: method, params: params)
        case let .message(.notification(method, params)):
            handleNotification(method: method, params: params ?? .null)
        case let .message(.response(id, result)):
            if let id { handleEditorResponse(id: id, result: result) }
        }
    }

    private func handleRequest(id: RequestID, method: String, params: JSONValue?) async {
        if phase == .running, method == "workspace/executeCommand",
           let command = params?["command"]?.string, Commands.network.contains(command) {
            background.start { _ in await self.answer(id: id, method: method, params: params) }
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
        editor.send(.response(id: id, result: result))
    }

    private func request(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        switch method {
        case "initialize": return try initialize(InitializeParams.decoded(from: params))
        case "shutdown":
            phase = .shuttingDown
            await disconnect()
            return .null
        case "textDocument/completion":
            let request = TextDocumentPositionParams.decoded(from: params)
            presence.noteCursor(request, in: bridge)
            return bridge.completion(request)
        case "textDocument/inlayHint":
            return presence.inlayHints(InlayHintParams.decoded(from: params), in: bridge)
        case "textDocument/codeAction":
            let request = CodeActionParams.decoded(from: params)
            presence.noteCursor(request.textDocument, position: nil, range: request.range, in: bridge)
            return Commands.codeActions(params, inSession: session.port.isJoined, editorRoot: settings.editorRoot, presence: presence)
        case "textDocument/hover", "textDocument/signatureHelp", "textDocument/documentHighlight":
            // Signature help and document highlights are not advertised: a provider that always
            // answers null could hide a real language server's answers in editors that take a
            // feature from the first server offering it, and the typing that triggers signature
            // help already gives the cursor. A client that sends them anyway gets null, and its
            // position is taken as the cursor, as a hover's is.
            presence.noteCursor(TextDocumentPositionParams.decoded(from: params), in: bridge)
            return .null
        case "workspace/executeCommand": return try await executeCommand(params)
        default: throw ResponseError.methodNotFound(method)
        }
    }

    /// `initialize`: settles the encoding and the client's features, and makes the parts with them.
    private func initialize(_ request: InitializeParams) throws -> JSONValue {
        guard phase == .waitingForInitialize else { throw ResponseError.invalidRequest("initialize was already received") }
        settings = EditorSettings(request)
        session = SessionConnection(settings: settings, environment: environment, logger: logger, editor: editor, background: background)
        bridge = DocumentBridge(settings: settings, editor: editor, background: background)
        presence = Presence(settings: settings, editor: editor, background: background)
        phase = .running
        return settings.initializeResult
    }

    private func handleNotification(method: String, params: JSONValue) {
        if method == "exit" {
            exitCode = phase == .shuttingDown ? 0 : 1
            return
        }
        guard phase == .running else { return }   // notifications before initialize are dropped
        let port = session.port
        switch method {
        case "initialized": startSession()
        case "$/cancelRequest":
            if let id = params["id"].flatMap(RequestID.init) { cancelled.insert(id) }
        case "textDocument/didOpen":
            bridging { $0.didOpen(DidOpenTextDocumentParams.decoded(from: params), session: port) }
        case "textDocument/didChange":
            bridging { $0.didChange(DidChangeTextDocumentParams.decoded(from: params), session: port) }
        case "textDocument/didClose":
            bridging { $0.didClose(DidCloseTextDocumentParams.decoded(from: params)) }
        case "mesh/exactChange":
            bridging { $0.exactChanges(ExactChangeParams.decoded(from: params)) }
        case "textDocument/didSave": break   // the session, not the disk, is the truth
        case "mesh/cursor": presence.meshCursor(MeshCursorParams.decoded(from: params), in: bridge)
        case "workspace/didChangeWorkspaceFolders", "workspace/didChangeConfiguration", "$/setTrace":
            break
        default:
            break   // unknown notifications are ignored, as LSP asks
        }
    }

    private func handleEditorResponse(id: RequestID, result: Result<JSONValue, ResponseError>) {
        guard case let .applyEdit(uri, syncID)? = editor.answered(id) else { return }
        let applied: Bool
        switch result {
        case let .success(value): applied = (try? value.decode(ApplyWorkspaceEditResult.self))?.applied ?? false
        case .failure: applied = false
        }
        let port = session.port
        bridging { $0.applyEditAnswered(uri: uri, syncID: syncID, applied: applied, session: port) }
    }

    // MARK: Between the parts

    /// Runs one step of the document bridge, then moves presence through what the step changed,
    /// in order: nothing positioned in a document misses an edit of it.
    func bridging<T>(_ step: (inout DocumentBridge) throws -> T) rethrows -> T {
        defer {
            for change in bridge.takeChanges() { presence.documentChanged(change) }
        }
        return try step(&bridge)
    }

    /// Checks of what goes out to the editor (`EditorRequestTests`).
    func refreshInlayHints() {
        presence.refreshInlayHints()
    }

    func sendApplyEdit(uri: String, _ outgoing: EditorSync.Outgoing) {
        bridge.sendApplyEdit(uri: uri, outgoing)
    }
}
