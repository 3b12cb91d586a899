import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import MeshProtocol
import NIOSSL

/// A client of a session's shared debug session, `/v1/debug`: connects with the bearer token,
/// says `hello`, waits for `welcome`, renews the access token before it expires when the
/// welcome asks for it, and leaves the caller only DAP (one message per text frame).
public enum DebugClient {
    /// The largest message accepted in either direction.
    public static let maxMessageBytes = 32 << 20

    /// The open connection: what the server said in its welcome, and DAP messages to send.
    public struct Connection: Sendable {
        public let welcome: DebugWelcome
        let outbound: WebSocketOutboundWriter

        /// Sends one DAP message.
        public func send(_ text: String) async throws { try await outbound.write(.text(text)) }

        /// Closes the connection normally (the server ends this participant's part).
        public func close() async throws { try await outbound.close(.normalClosure, reason: nil) }
    }

    /// The server's DAP messages, in order; the debug socket's own frames (`authenticated`,
    /// answering a renewal) and binary frames are left out.
    public struct Messages {
        var iterator: WebSocketInboundMessageStream.AsyncIterator

        /// The next DAP message, or nil when the server closed the connection.
        public mutating func next() async throws -> String? {
            while let message = try await iterator.next() {
                guard case let .text(text) = message else { continue }
                if text.contains("\"authenticated\""),
                   (try? JSONValue.parse(Data(text.utf8)))?["type"]?.string == DebugAuthenticated.frameType {
                    continue
                }
                return text
            }
            return nil
        }
    }

    /// Connects to `server`'s `/v1/debug` with `accessToken`, says `hello` and, once welcomed,
    /// runs `body` with the connection and the server's messages; returns when `body` has
    /// returned and the connection is closed. Token renewals (for the login stored in
    /// `environment`'s credentials) run meanwhile and end with `body`. A `https://` server is
    /// reached over `wss://`, its certificate checked as `tls` says; a TLS failure is thrown as
    /// a ``CollaborationError`` that says what is wrong.
    public static func connect(
        server: String, accessToken: String, hello: DebugHello,
        environment: [String: String] = ProcessInfo.processInfo.environment, tls: ClientTLS = .default, logger: Logger,
        body: @escaping @Sendable (Connection, inout Messages) async throws -> Void
    ) async throws {
        let url = try CollaborationClient.webSocketURL(server, path: "/v1/debug")
        var settings = WebSocketClientConfiguration(maxFrameSize: maxMessageBytes)
        settings.additionalHeaders[.authorization] = "Bearer \(accessToken)"
        let tlsConfiguration = try tls.webSocketTLS(url: url, configuration: &settings)
        do {
            try await run(url: url, configuration: settings, tlsConfiguration: tlsConfiguration, server: server,
                          hello: hello, environment: environment, logger: logger, body: body)
        } catch {
            guard let reason = TLSFailure.describe(error, tls: tls) else { throw error }
            throw CollaborationError("the debug connection to \(url) failed: \(reason)")
        }
    }

    private static func run(
        url: String, configuration: WebSocketClientConfiguration, tlsConfiguration: TLSConfiguration?, server: String,
        hello: DebugHello, environment: [String: String], logger: Logger,
        body: @escaping @Sendable (Connection, inout Messages) async throws -> Void
    ) async throws {
        try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tlsConfiguration,
                                          logger: logger) { inbound, outbound, _ in
            try await outbound.write(.text(hello.text))
            var messages = Messages(iterator: inbound.messages(maxSize: maxMessageBytes).makeAsyncIterator())
            guard case let .text(first)? = try await messages.iterator.next(), let welcome = DebugWelcome(text: first)
            else { throw CollaborationError("the server refused the debug connection") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Fresh tokens before the current one expires (a server that closes sockets at
                // expiry says when in the welcome).
                if let expiry = welcome.tokenExpiresAt {
                    group.addTask {
                        await AccessTokenRenewal.run(expiresAt: expiry, server: server, environment: environment) { token in
                            try await outbound.write(.text(DebugAuth(token: token).text))
                        }
                    }
                }
                try await body(Connection(welcome: welcome, outbound: outbound), &messages)
                group.cancelAll()
            }
        }
    }
}
