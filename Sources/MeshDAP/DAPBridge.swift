import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import MeshClient
import MeshProtocol

/// `mesh dap`: the editor's debug adapter. DAP over stdio on one side, the server's
/// `/v1/debug` WebSocket on the other (one DAP message per text frame); the server runs Delve
/// in a sandbox container and shares the debug session among the session's participants.
public enum DAPBridge {
    /// Bridges until either side ends; returns the exit code.
    public static func run(root: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                           logger: Logger) async -> Int32 {
        let stdio = FramedConnection(onOutputClosed: { exit(0) })
        stdio.start()
        do {
            let target = try await connectionTarget(root: root, environment: environment)
            return try await bridge(stdio, target: target, root: root, logger: logger)
        } catch {
            // Tell the editor: answer its first request with the reason, then end.
            logger.error("\(error)")
            for await frame in stdio.frames {
                guard case let .message(data) = frame, let request = try? JSONValue.parse(data), let seq = request["seq"]?.int else { continue }
                stdio.send(JSONValue.object(["seq": 1, "type": "response", "request_seq": JSONValue(seq), "success": false,
                                              "command": request["command"] ?? "", "message": .string("Mesh: \(error)"),
                                              "body": ["error": ["id": 1, "format": .string("Mesh: \(error)")]]]).serialized())
                stdio.send(event("terminated", seq: 2))
                break
            }
            return 1
        }
    }

    struct Target {
        var url: String
        var token: String
        var session: String
        var server: String
        var environment: [String: String]
    }

    static func connectionTarget(root: URL, environment: [String: String]) async throws -> Target {
        guard let discovered = SessionFile.discover(from: root) else {
            throw WorkspaceError("no Mesh session in \(root.path): share it with `mesh share` or join one with `mesh join`")
        }
        let store = CredentialStore(environment: environment)
        guard let credentials = try store.load(), CredentialStore.normalize(credentials.server) == CredentialStore.normalize(discovered.file.server) else {
            throw WorkspaceError("not logged in to \(discovered.file.server): run `mesh login --server \(discovered.file.server)`")
        }
        let api = MeshAPIClient(server: discovered.file.server, credentials: credentials, store: store)
        let token = try await api.freshAccessToken()
        var url = try CollaborationClient.webSocketURL(discovered.file.server)
        url = String(url.dropLast("/v1/ws".count)) + "/v1/debug"
        return Target(url: url, token: token, session: discovered.file.session, server: discovered.file.server, environment: environment)
    }

    static func bridge(_ stdio: FramedConnection, target: Target, root: URL, logger: Logger) async throws -> Int32 {
        var configuration = WebSocketClientConfiguration(maxFrameSize: 32 << 20)
        configuration.additionalHeaders[.authorization] = "Bearer \(target.token)"
        guard let session = UUID(uuidString: target.session) else {
            throw WorkspaceError("the session file names no valid session id (\(target.session))")
        }
        let hello = DebugHello(session: session, root: root.standardizedFileURL.path)
        try await WebSocketClient.connect(url: target.url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            try await outbound.write(.text(hello.text))
            var messages = inbound.messages(maxSize: 32 << 20).makeAsyncIterator()
            guard case let .text(first)? = try await messages.next(), let welcome = DebugWelcome(text: first)
            else { throw WorkspaceError("the server refused the debug connection") }
            // Editor → server in its own task; server → editor here, until the server ends.
            let pump = Task {
                for await frame in stdio.frames {
                    guard case let .message(data) = frame else { continue }
                    try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            defer { pump.cancel() }
            // Fresh tokens before the current one expires (servers that close sockets at expiry
            // say when in the welcome).
            let renewal = Task {
                guard let expiry = welcome.tokenExpiresAt else { return }
                await DebugTokenRenewal.run(expiresAt: expiry, server: target.server, environment: target.environment) { text in
                    try await outbound.write(.text(text))
                }
            }
            defer { renewal.cancel() }
            var ended = false   // the server ended the debug session itself
            var lost = "the server closed it"
            do {
                while let message = try await messages.next() {
                    guard case let .text(text) = message else { continue }
                    if text.contains("\"authenticated\""),
                       (try? JSONValue.parse(Data(text.utf8)))?["type"]?.string == DebugAuthenticated.frameType {
                        continue   // the answer to a renewal, not DAP
                    }
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
        }
        return 0
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
