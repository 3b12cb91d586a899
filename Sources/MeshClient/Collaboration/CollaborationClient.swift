import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import MeshProtocol

/// A minimal client of the collaboration WebSocket `/v1/ws`: connects with the bearer token,
/// sends `hello`, then exposes the server's messages as a stream and sends client messages.
/// No reconnection: when the connection ends, ``messages`` finishes.
public actor CollaborationClient {
    /// The largest message accepted in either direction (a snapshot carries a whole document).
    public static let maxMessageBytes = 32 << 20

    /// The decoded server messages, in order; finishes when the connection closes.
    public nonisolated let messages: AsyncStream<ServerMessage>
    /// Why the connection ended, once it has (nil after a clean close).
    public private(set) var closeError: (any Error)?

    private let inbox: AsyncStream<ServerMessage>.Continuation
    private var writer: WebSocketOutboundWriter?
    private var opening: CheckedContinuation<Void, any Error>?
    private var connection: Task<Void, Never>?

    private init() {
        (messages, inbox) = AsyncStream.makeStream(of: ServerMessage.self, bufferingPolicy: .unbounded)
    }

    /// Connects to `server`'s `/v1/ws` and sends `hello` for `session`; a `https://` server is
    /// reached over `wss://`, its certificate checked as `tls` says.
    /// - Throws: ``CollaborationError`` when the server cannot be reached or refuses the upgrade,
    ///   ``ClientTLSError`` when the CA file cannot be used.
    public static func connect(server: String, accessToken: String, session: String, client: String? = "mesh",
                               tls: ClientTLS = .default,
                               logger: Logger = Logger(label: "mesh.ws")) async throws -> CollaborationClient {
        let collaboration = CollaborationClient()
        let url = try webSocketURL(server)
        try await collaboration.open(url: url, token: accessToken, tls: tls, logger: logger)
        try await collaboration.send(.hello(.init(session: session, client: client)))
        return collaboration
    }

    /// `http://host:port` → `ws://host:port/v1/ws` (and `https` → `wss`); another `path` for
    /// the server's other sockets (`/v1/debug`).
    public static func webSocketURL(_ server: String, path socketPath: String = "/v1/ws") throws -> String {
        guard var components = URLComponents(string: server), let scheme = components.scheme?.lowercased(),
              let wsScheme = ["http": "ws", "https": "wss", "ws": "ws", "wss": "wss"][scheme], components.host != nil
        else { throw CollaborationError("invalid server URL \"\(server)\"") }
        components.scheme = wsScheme
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        components.path = path + socketPath
        guard let url = components.string else { throw CollaborationError("invalid server URL \"\(server)\"") }
        return url
    }

    /// Sends one message.
    public func send(_ message: ClientMessage) async throws {
        try await send(encoded: WireCodec.encode(message))
    }

    /// Sends one message already encoded by ``WireCodec``, for a caller that measured it first.
    public func send(encoded text: String) async throws {
        guard let writer else { throw CollaborationError("not connected" + (closeError.map { ": \($0)" } ?? "")) }
        try await writer.write(.text(text))
    }

    /// Closes the connection and waits for it to end.
    public func close() async {
        if let writer { try? await writer.close(.normalClosure, reason: nil) }
        await connection?.value
    }

    private func open(url: String, token: String, tls: ClientTLS, logger: Logger) async throws {
        var settings = WebSocketClientConfiguration(maxFrameSize: Self.maxMessageBytes)
        settings.additionalHeaders[.authorization] = "Bearer \(token)"
        let tlsConfiguration = try tls.webSocketTLS(url: url, configuration: &settings)
        let configuration = settings
        let inbox = self.inbox
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            opening = continuation
            connection = Task {
                do {
                    try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tlsConfiguration,
                                                      logger: logger) { inbound, outbound, _ in
                        await self.attach(outbound)
                        for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                            guard case let .text(text) = message else { continue }
                            do {
                                inbox.yield(try WireCodec.decodeServerMessage(text))
                            } catch {
                                logger.debug("skipping an undecodable server message", metadata: ["error": "\(error)"])
                            }
                        }
                    }
                    finished(nil)
                } catch {
                    let reason = TLSFailure.describe(error, tls: tls) ?? "\(error)"
                    finished(CollaborationError("the collaboration connection to \(url) failed: \(reason)"))
                }
            }
        }
    }

    private func attach(_ outbound: WebSocketOutboundWriter) {
        writer = outbound
        opening?.resume()
        opening = nil
    }

    private func finished(_ error: (any Error)?) {
        closeError = error
        writer = nil
        inbox.finish()
        opening?.resume(throwing: error ?? CollaborationError("the server closed the connection"))
        opening = nil
    }
}

/// A collaboration connection that failed.
public struct CollaborationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
