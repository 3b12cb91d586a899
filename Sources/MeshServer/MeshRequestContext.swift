import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every Mesh route: WebSocket-capable, carrying the caller once
/// ``BearerAuthMiddleware`` (or ``CookieAuthMiddleware``) has checked the token.
public struct MeshRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<MeshRequestContext>
    public var user: AuthUser?
    /// The user came from the `mesh_access` cookie (``CookieAuthMiddleware``), not from
    /// `Authorization`: the WebSockets do not take it.
    public internal(set) var authenticatedByCookie = false
    /// The peer's address, for login throttling.
    public let remoteAddress: String
    /// The event loop of the request's channel (a WebSocket's tasks run on it).
    public let eventLoop: any EventLoop

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        eventLoop = source.channel.eventLoop
    }

    /// The authenticated caller, or 401.
    func requireUser() throws -> AuthUser {
        guard let user else { throw ApiError.unauthorized() }
        return user
    }

    /// Who opens a WebSocket: the bearer token's user, never the cookie's (a browser sends its
    /// cookie with a cross-site upgrade too); nil, and `hello` must carry a ticket.
    var webSocketOpener: AuthUser? { authenticatedByCookie ? nil : user }

    public var maxUploadSize: Int { 64 << 20 }

    /// Dates travel as ISO-8601 strings.
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    public var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
