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

/// Editor → server, first: `{"type":"hello","session":UUID,"root":PATH}`; `root` is the
/// editor's workspace folder, for path mapping (`/workspace` when absent).
public struct DebugHello: DebugControlFrame, Hashable {
    public static let frameType = "hello"
    public var session: UUID
    public var root: String?

    public init(session: UUID, root: String?) { self.session = session; self.root = root }

    private enum CodingKeys: String, CodingKey { case type, session, root }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectFrameType(Self.frameType, forKey: .type)
        session = try container.decode(UUID.self, forKey: .session)
        root = try container.decodeIfPresent(String.self, forKey: .root)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.frameType, forKey: .type)
        try container.encode(session, forKey: .session)
        try container.encodeIfPresent(root, forKey: .root)
    }
}

/// Server → editor, answering `hello`: `{"type":"welcome","role":ROLE,"tokenExpiresAt":SECONDS?}`.
public struct DebugWelcome: DebugControlFrame, Hashable {
    public static let frameType = "welcome"
    /// The caller's role in the session (read leniently: an unknown one is a viewer).
    public var role: Role
    /// When the access token the socket opened with expires (seconds since 1970): send
    /// ``DebugAuth`` before then. Absent from servers that do not close sockets at expiry.
    public var tokenExpiresAt: Double?

    public init(role: Role, tokenExpiresAt: Double? = nil) { self.role = role; self.tokenExpiresAt = tokenExpiresAt }

    private enum CodingKeys: String, CodingKey { case type, role, tokenExpiresAt }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectFrameType(Self.frameType, forKey: .type)
        role = try container.decodeLenientRole(forKey: .role)
        tokenExpiresAt = try container.decodeIfPresent(Double.self, forKey: .tokenExpiresAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.frameType, forKey: .type)
        try container.encode(role, forKey: .role)
        try container.encodeIfPresent(tokenExpiresAt, forKey: .tokenExpiresAt)
    }
}

/// Editor → server, any time after `welcome`: `{"type":"auth","token":JWT}`, a fresh access token.
public struct DebugAuth: DebugControlFrame, Hashable {
    public static let frameType = "auth"
    public var token: String

    public init(token: String) { self.token = token }

    private enum CodingKeys: String, CodingKey { case type, token }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectFrameType(Self.frameType, forKey: .type)
        token = try container.decode(String.self, forKey: .token)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.frameType, forKey: .type)
        try container.encode(token, forKey: .token)
    }
}

/// Server → editor, answering `auth`: `{"type":"authenticated","expiresAt":SECONDS}`, when the
/// socket now expires (seconds since 1970).
public struct DebugAuthenticated: DebugControlFrame, Hashable {
    public static let frameType = "authenticated"
    public var expiresAt: Double

    public init(expiresAt: Double) { self.expiresAt = expiresAt }

    private enum CodingKeys: String, CodingKey { case type, expiresAt }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectFrameType(Self.frameType, forKey: .type)
        expiresAt = try container.decode(Double.self, forKey: .expiresAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.frameType, forKey: .type)
        try container.encode(expiresAt, forKey: .expiresAt)
    }
}

extension KeyedDecodingContainer {
    /// Throws unless the frame's `type` is `expected`.
    func expectFrameType(_ expected: String, forKey key: Key) throws {
        let found = try decode(String.self, forKey: key)
        guard found == expected else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected a \"\(expected)\" frame, found \"\(found)\"")
        }
    }
}
