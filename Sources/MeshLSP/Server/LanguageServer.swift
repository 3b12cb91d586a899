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
/// event: a message from the Mesh server, a timer, a change on disk) into its typed form, finds
/// the shared root it is about (``Roots``: the editor's workspace folders, each a ``SharedRoot``
/// with its own session; a document goes to the root that holds it) and routes it to that
/// root's parts, which own their state and their tasks:
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
/// ``BackgroundWork`` job in ``run(_:)``'s task group, and ends with it; a root's jobs run in a
/// child group of the root's, which also ends when the root is removed.
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
    /// Fixed by `initialize`, which makes a root with it for each of the editor's folders.
    var settings = EditorSettings()
    /// The shared roots, each with its parts: made at `initialize`, added and removed by
    /// `workspace/didChangeWorkspaceFolders`.
    var roots = Roots()
    /// Requests the editor cancelled before we answered.
    var cancelled: Set<RequestID> = []
    /// Roots a `mesh.share` or `mesh.join` is starting a session in (while it waits on the network).
    var startingSession: Set<SharedRoot.ID> = []
    /// Set by `exit`: the process exit code.
    public private(set) var exitCode: Int32?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "mesh.lsp"), send: @escaping Send) {
        editor = EditorChannel(send)
        background = BackgroundWork()
        self.environment = environment
        self.logger = logger
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
        // The server's own jobs (the network commands, the roots' groups) report nothing: each
        // root's jobs report to the root's inbox (``addRoot(_:)``).
        let inbox = BackgroundWork.Inbox { _ in }
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
            return roots.update(documentRoot(params)) { root -> JSONValue in
                root.presence.noteCursor(request, in: root.bridge)
                return root.bridge.completion(request)
            } ?? ["isIncomplete": false, "items": []]
        case "textDocument/inlayHint":
            guard let root = roots.root(documentRoot(params)) else { return [] }
            return root.presence.inlayHints(InlayHintParams.decoded(from: params), in: root.bridge)
        case "textDocument/codeAction":
            let request = CodeActionParams.decoded(from: params)
            // With several roots, the actions name the document, so that each acts on its root.
            let target = roots.count > 1 ? request.textDocument?.uri : nil
            return roots.update(documentRoot(params)) { root -> JSONValue in
                root.presence.noteCursor(request.textDocument, position: nil, range: request.range, in: root.bridge)
                // Reconnecting to a session it joined: no action (sharing the folder again would mix two sessions).
                if root.session.wasJoined, !root.session.port.isJoined { return [] }
                return Commands.codeActions(params, inSession: root.session.port.isJoined, editorRoot: root.folder,
                                            presence: root.presence, target: target)
            } ?? []
        case "textDocument/hover", "textDocument/signatureHelp", "textDocument/documentHighlight":
            // Signature help and document highlights are not advertised: a provider that always
            // answers null could hide a real language server's answers in editors that take a
            // feature from the first server offering it, and the typing that triggers signature
            // help already gives the cursor. A client that sends them anyway gets null, and its
            // position is taken as the cursor, as a hover's is.
            roots.update(documentRoot(params)) { root in
                root.presence.noteCursor(TextDocumentPositionParams.decoded(from: params), in: root.bridge)
            }
            return .null
        case "workspace/executeCommand": return try await executeCommand(params)
        default: throw ResponseError.methodNotFound(method)
        }
    }

    /// `initialize`: settles the encoding and the client's features, and makes a root with them
    /// for each of the editor's folders (one without a folder when it named none).
    private func initialize(_ request: InitializeParams) throws -> JSONValue {
        guard phase == .waitingForInitialize else { throw ResponseError.invalidRequest("initialize was already received") }
        settings = EditorSettings(request)
        if settings.editorFolders.isEmpty {
            addRoot(nil)
        } else {
            for folder in settings.editorFolders { addRoot(folder) }
        }
        phase = .running
        return settings.initializeResult
    }

    private func handleNotification(method: String, params: JSONValue) {
        if method == "exit" {
            exitCode = phase == .shuttingDown ? 0 : 1
            return
        }
        guard phase == .running else { return }   // notifications before initialize are dropped
        switch method {
        case "initialized": for id in roots.ids { startSession(id) }
        case "$/cancelRequest":
            if let id = params["id"].flatMap(RequestID.init) { cancelled.insert(id) }
        case "textDocument/didOpen":
            bridgingDocument(params) { $0.didOpen(DidOpenTextDocumentParams.decoded(from: params), session: $1) }
        case "textDocument/didChange":
            bridgingDocument(params) { $0.didChange(DidChangeTextDocumentParams.decoded(from: params), session: $1) }
        case "textDocument/didClose":
            bridgingDocument(params) { bridge, session in bridge.didClose(DidCloseTextDocumentParams.decoded(from: params), session: session) }
        case "mesh/exactChange":
            bridgingDocument(params) { bridge, _ in bridge.exactChanges(ExactChangeParams.decoded(from: params)) }
        case "textDocument/didSave": break   // the session, not the disk, is the truth
        case "mesh/cursor":
            roots.update(documentRoot(params)) { root in root.presence.meshCursor(MeshCursorParams.decoded(from: params), in: root.bridge) }
        case "workspace/didChangeWorkspaceFolders":
            workspaceFoldersChanged(DidChangeWorkspaceFoldersParams.decoded(from: params))
        case "workspace/didChangeConfiguration", "$/setTrace":
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
        roots.update(roots.route(uri)) { root in
            let port = root.session.port
            root.bridging { $0.applyEditAnswered(uri: uri, syncID: syncID, applied: applied, session: port) }
        }
    }

    // MARK: Between the parts

    /// The root of the document a message's params name (`textDocument.uri`): see ``Roots/route(_:fallback:)``.
    func documentRoot(_ params: JSONValue) -> SharedRoot.ID? {
        roots.route(params["textDocument"]?["uri"]?.string)
    }

    /// Runs one step of the document bridge of the root of the document `params` name (then its
    /// presence moves through what the step changed: ``SharedRoot/bridging(_:)``), with its session.
    private func bridgingDocument(_ params: JSONValue, _ step: (inout DocumentBridge, SessionPort) -> Void) {
        roots.update(documentRoot(params)) { root in
            let port = root.session.port
            root.bridging { step(&$0, port) }
        }
    }

    /// Checks of what goes out to the editor (`EditorRequestTests`).
    func refreshInlayHints() {
        for root in roots.all { root.presence.refreshInlayHints() }
    }

    func sendApplyEdit(uri: String, _ outgoing: EditorSync.Outgoing) {
        roots.root(roots.route(uri))?.bridge.sendApplyEdit(uri: uri, outgoing)
    }
}
