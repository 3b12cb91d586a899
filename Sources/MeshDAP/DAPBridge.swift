import Foundation
import Logging
import MeshClient
import MeshProtocol
import MeshFraming

/// `mesh dap`: the editor's debug adapter. DAP over stdio on one side, the server's
/// `/v1/debug` WebSocket on the other (one DAP message per text frame); the server runs Delve
/// in a sandbox container and shares the debug session among the session's participants.
public enum DAPBridge {
    /// Bridges until either side ends; returns the exit code. `root` is where the adapter
    /// starts (`--root`, else its working folder): the shared folder or any folder inside it.
    public static func run(root: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                           logger: Logger) async -> Int32 {
        let stdio = FramedConnection(onOutputClosed: { exit(0) })
        stdio.start()
        do {
            let target = try await connectionTarget(root: root, environment: environment)
            return try await bridge(stdio, target: target, logger: logger)
        } catch {
            // Tell the editor: answer its first request with the reason, then end.
            logger.error("\(error)")
            for await frame in stdio.frames {
                guard case let .message(data) = frame, let request = try? JSONValue.parse(data),
                      let failure = failure(answering: request, "Mesh: \(error)", seq: 1) else { continue }
                stdio.send(failure)
                stdio.send(event("terminated", seq: 2))
                break
            }
            return 1
        }
    }

    struct Target {
        var server: String
        var token: String
        var hello: DebugHello
        var environment: [String: String]
    }

    /// The shared workspace `mesh dap` works in, found from the folder it started in.
    struct Workspace: Sendable, Hashable {
        /// `.mesh/session.json`.
        var file: SessionFile
        /// The folder holding `.mesh/session.json`: the shared root, whose files are the
        /// session's documents.
        var root: URL
        /// The first frame for `/v1/debug`. Its `root` is the shared root, never the folder the
        /// adapter started in: the server maps `<root>/<path>` to `/workspace/<path>`
        /// (DAPPathMap), and an editor may start the adapter in a folder inside the shared one
        /// (Helix starts it in its own working folder).
        var hello: DebugHello
    }

    /// Walks up from `folder` (the adapter's `--root` or working folder) to `.mesh/session.json`.
    static func workspace(from folder: URL) throws -> Workspace {
        guard let discovered = SessionFile.discover(from: folder) else {
            throw WorkspaceError("no Mesh session in \(folder.path) or above: share it with `mesh share` or join one with `mesh join`")
        }
        guard let session = UUID(uuidString: discovered.file.session) else {
            throw WorkspaceError("the session file names no valid session id (\(discovered.file.session))")
        }
        let root = discovered.root.standardizedFileURL
        return Workspace(file: discovered.file, root: root, hello: DebugHello(session: session, root: root.path))
    }

    static func connectionTarget(root folder: URL, environment: [String: String]) async throws -> Target {
        let shared = try Self.workspace(from: folder)
        let server = shared.file.server
        let store = CredentialStore(environment: environment)
        guard let credentials = try store.load(), CredentialStore.normalize(credentials.server) == CredentialStore.normalize(server) else {
            throw WorkspaceError("not logged in to \(server): run `mesh login --server \(server)`")
        }
        let api = MeshAPIClient(server: server, credentials: credentials, store: store)
        let token = try await api.freshAccessToken()
        return Target(server: server, token: token, hello: shared.hello, environment: environment)
    }

    static func bridge(_ stdio: FramedConnection, target: Target, logger: Logger) async throws -> Int32 {
        try await DebugClient.connect(server: target.server, accessToken: target.token, hello: target.hello,
                                      environment: target.environment, logger: logger) { connection, messages in
            await withTaskGroup(of: Void.self) { group in
                // Editor → server beside (it stops at the first failed send: the connection is
                // gone, which the loop below reports); server → editor here, until the server ends.
                group.addTask {
                    let limit = connection.welcome.messageLimit
                    do {
                        for await frame in stdio.frames {
                            guard case let .message(data) = frame else { continue }
                            let text = String(decoding: data, as: UTF8.self)
                            guard text.utf8.count <= limit else {
                                // The server would close the socket, and the debug session with it.
                                stdio.send(refusal(tooLarge: data, bytes: text.utf8.count, limit: limit))
                                continue
                            }
                            try await connection.send(text)
                        }
                        try await connection.close()
                    } catch {}
                }
                var ended = false   // the server ended the debug session itself
                var lost = "the server closed it"
                do {
                    while let text = try await messages.next() {
                        if !ended { ended = endsSession(text) }
                        stdio.send(Data(text.utf8))
                    }
                } catch {
                    lost = "\(error)"
                }
                if !ended, !stdio.inputEnded {
                    // The server went away mid-session (a crash, a restart, the network) while the
                    // editor is still there: say so and end its debug session rather than leave it waiting.
                    stdio.send(event("output", body: ["category": "important",
                                                      "output": .string("Mesh: the connection to the server ended (\(lost)); the debug session is over\n")]))
                    stdio.send(event("terminated"))
                }
                group.cancelAll()
            }
        }
        return 0
    }

    /// The answer to an editor's message larger than the server takes: a failed response to a
    /// request, else a line in the debug console.
    static func refusal(tooLarge data: Data, bytes: Int, limit: Int) -> Data {
        let reason = "Mesh: a DAP message of \(bytes) bytes is larger than the server takes (\(limit) bytes); it was not sent"
        if let message = try? JSONValue.parse(data), let failure = failure(answering: message, reason) { return failure }
        return event("output", body: ["category": "important", "output": .string(reason + "\n")])
    }

    /// A failed response of `mesh dap`'s own to `request` (nil when it is no request).
    static func failure(answering request: JSONValue, _ reason: String, seq: Int = 0) -> Data? {
        guard request["type"]?.string == "request", let requestSeq = request["seq"]?.int else { return nil }
        return JSONValue.object(["seq": JSONValue(seq), "type": "response", "request_seq": JSONValue(requestSeq), "success": false,
                                 "command": request["command"] ?? "", "message": .string(reason),
                                 "body": ["error": ["id": 1, "format": .string(reason)]]]).serialized()
    }

    /// A DAP event of `mesh dap`'s own (not relayed from the server).
    static func event(_ name: String, seq: Int = 0, body: JSONValue? = nil) -> Data {
        var message: [String: JSONValue] = ["seq": JSONValue(seq), "type": "event", "event": .string(name)]
        if let body { message["body"] = body }
        return JSONValue.object(message).serialized()
    }

    /// Whether a message from the server ends the debug session: a `terminated` event, or the
    /// answer to the editor's `disconnect`.
    static func endsSession(_ text: String) -> Bool {
        guard text.contains("terminated") || text.contains("disconnect"), let message = try? JSONValue.parse(Data(text.utf8)) else { return false }
        return (message["type"]?.string == "event" && message["event"]?.string == "terminated")
            || (message["type"]?.string == "response" && message["command"]?.string == "disconnect")
    }
}
