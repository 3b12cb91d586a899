import Foundation

// The frames of `/v1/debug` that are not DAP: the handshake (`hello`, answered `welcome`) and
// the token renewal (`auth`, answered `authenticated`), as docs/debugging.md describes them.

/// A control frame of the debug socket: a JSON object whose `type` is ``frameType``.
public protocol DebugControlFrame: Codable, Sendable {
    /// The frame's `type`.
    static var frameType: String { get }
}

extension DebugControlFrame {
    /// The frame's JSON text (compact, sorted keys, as ``JSONValue`` writes it).
    public var text: String { String(decoding: JSONValue.encode(self).serialized(), as: UTF8.self) }

    /// The frame in `text`; nil when it is not JSON, not of this type, or misses a field.
    public init?(text: String) {
        guard let value = try? JSONValue.parse(Data(text.utf8)) else { return nil }
        self.init(json: value)
    }

    /// The frame in `json`; nil when it is not of this type or misses a field.
    public init?(json: JSONValue) {
        guard json["type"]?.string == Self.frameType, let frame = try? json.decode(Self.self) else { return nil }
        self = frame
    }
}

/// The `type` of a control frame, a stored field of each: written as `Frame.frameType`, and a
/// frame of another type does not decode.
struct DebugFrameType<Frame: DebugControlFrame>: Codable, Sendable, Hashable {
    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let found = try container.decode(String.self)
        guard found == Frame.frameType else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a \"\(Frame.frameType)\" frame, found \"\(found)\"")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Frame.frameType)
    }
}

/// Editor → server, first: `{"type":"hello","session":UUID,"root":PATH}`; `root` is the
/// editor's workspace folder, for path mapping (`/workspace` when absent).
public struct DebugHello: DebugControlFrame, Hashable {
    public static let frameType = "hello"
    private var type = DebugFrameType<DebugHello>()
    public var session: UUID
    public var root: String?
    /// A browser's single-use ticket (`POST /v1/ws-ticket`) when the upgrade carried no
    /// `Authorization`, as in `/v1/ws`'s `hello`.
    public var ticket: String?

    public init(session: UUID, root: String?, ticket: String? = nil) {
        self.session = session; self.root = root; self.ticket = ticket
    }
}

/// Server → editor, answering `hello`:
/// `{"type":"welcome","role":ROLE,"tokenExpiresAt":SECONDS?,"maxFrameBytes":BYTES?}`.
public struct DebugWelcome: DebugControlFrame, Hashable {
    public static let frameType = "welcome"
    private var type = DebugFrameType<DebugWelcome>()
    /// The caller's role in the session (read leniently: an unknown one is a viewer).
    public var role: Role
    /// When the access token the socket opened with expires (seconds since 1970): send
    /// ``DebugAuth`` before then. Absent from servers that do not close sockets at expiry.
    public var tokenExpiresAt: Double?
    /// The largest message the server takes (`--max-frame-bytes`), as in `/v1/ws`'s welcome:
    /// it closes the socket on a larger one. Absent from older servers, which took 1 MiB.
    public var maxFrameBytes: Int?

    public init(role: Role, tokenExpiresAt: Double? = nil, maxFrameBytes: Int? = nil) {
        self.role = role; self.tokenExpiresAt = tokenExpiresAt; self.maxFrameBytes = maxFrameBytes
    }

    /// The largest DAP message to send (``ServerMessage/Welcome/messageLimit(maxFrameBytes:)``).
    public var messageLimit: Int { ServerMessage.Welcome.messageLimit(maxFrameBytes: maxFrameBytes) }

    private enum CodingKeys: String, CodingKey { case type, role, tokenExpiresAt, maxFrameBytes }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(DebugFrameType<DebugWelcome>.self, forKey: .type)
        role = try container.decodeLenientRole(forKey: .role)
        tokenExpiresAt = try container.decodeIfPresent(Double.self, forKey: .tokenExpiresAt)
        maxFrameBytes = try container.decodeIfPresent(Int.self, forKey: .maxFrameBytes)
    }
}

/// Editor → server, any time after `welcome`: `{"type":"auth","token":JWT}`, a fresh access token.
public struct DebugAuth: DebugControlFrame, Hashable {
    public static let frameType = "auth"
    private var type = DebugFrameType<DebugAuth>()
    /// A fresh access token (editors), or
    public var token: String?
    /// a fresh ticket (browsers); exactly one of the two.
    public var ticket: String?

    public init(token: String) { self.token = token }
    public init(ticket: String) { self.ticket = ticket }
}

/// Server → editor, answering `auth`: `{"type":"authenticated","expiresAt":SECONDS}`, when the
/// socket now expires (seconds since 1970).
public struct DebugAuthenticated: DebugControlFrame, Hashable {
    public static let frameType = "authenticated"
    private var type = DebugFrameType<DebugAuthenticated>()
    public var expiresAt: Double

    public init(expiresAt: Double) { self.expiresAt = expiresAt }
}
