import NIOWebSocket

/// Why the server ends a WebSocket (`/v1/ws` or `/v1/debug`). What a connection decides on is
/// the case; ``text`` is only what the close frame tells the client.
enum CloseReason: Sendable, Hashable {
    /// The client left, or the server ends the socket with nothing to explain: a normal closure.
    case normal
    /// Its send queue overflowed: it reconnects and resyncs.
    case tooSlow
    /// Over the message rate; the debug socket names the rate.
    case rateLimited(perSecond: Int?)
    /// The access token the socket lives on expired without an `auth` renewing it.
    case tokenExpired
    /// The owner removed the member (seen by the collaboration hub).
    case removed
    /// The member's membership is gone (seen by the debug socket's membership check).
    case noLongerMember
    case sessionDeleted
    case shuttingDown
    case protocolError
    /// A frame over `--max-frame-bytes`.
    case messageTooLarge
    /// Writing to the socket failed: the peer is gone.
    case writeFailed
    /// The user's tokens were revoked (signing out, a password change, a refresh token used
    /// twice), with what the client is told.
    case revoked(String)

    /// The text of the close frame, as clients have always read it.
    var text: String {
        switch self {
        case .normal: ""
        case .tooSlow: "too slow: reconnect and resync"
        case let .rateLimited(perSecond?): "rate limited: more than \(perSecond) messages per second"
        case .rateLimited(.none): "rate limited"
        case .tokenExpired: "access token expired"
        case .removed: "removed from the session"
        case .noLongerMember: "you are no longer a member of this session"
        case .sessionDeleted: "the session was deleted"
        case .shuttingDown: "server shutting down"
        case .protocolError: "protocol error"
        case .messageTooLarge: "message too large"
        case .writeFailed: "write failed"
        case let .revoked(why): why
        }
    }

    /// Whether `error`, thrown while reading the socket, is a frame or message over the size
    /// limit: NIO's decoder refuses a single frame over the maximum frame size
    /// (`NIOWebSocketError.invalidFrameLength`), and swift-websocket a fragmented message over
    /// `messages(maxSize:)` (its package-internal error carries `WebSocketErrorCode.messageTooLarge`).
    static func isOversized(_ error: any Error) -> Bool {
        if let error = error as? NIOWebSocketError, case .invalidFrameLength = error { return true }
        return Mirror(reflecting: error).children.contains { ($0.value as? WebSocketErrorCode) == WebSocketErrorCode.messageTooLarge }
    }
}
