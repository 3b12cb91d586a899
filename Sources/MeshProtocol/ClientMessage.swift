import MeshOT

/// A message from a client to the server over `/v1/ws`, JSON with a `type` field.
public enum ClientMessage: Sendable, Hashable {
    /// First message: protocol version and the session this connection works in.
    case hello(Hello)
    /// Open a document: a snapshot, or the operations since `knownRev`.
    case open(Open)
    case close(PathRef)
    /// A local operation based on `baseRev`.
    case op(Op)
    /// This user's cursors and selections in a document.
    case presence(PresenceUpdate)
    case chat(ChatSend)
    case annotate(AnnotateCreate)
    case resolve(AnnotationRef)
    case deleteAnnotation(AnnotationRef)
    /// The client's hash of a document at a revision.
    case hash(HashCheck)
    case ping(Ping)
    /// A fresh access token (or ticket) for this connection, sent before the one it opened with
    /// expires (answered `authenticated`); without it the server closes the socket at expiry.
    case auth(Auth)

    public struct Hello: Sendable, Hashable, Codable {
        public var `protocol`: Int
        public var session: String
        public var client: String?
        /// A single-use ticket from `POST /v1/ws-ticket` (browsers): what authenticates a socket
        /// opened without `Authorization`. Not consulted when the upgrade carried a bearer token.
        public var ticket: String?
        public init(protocol: Int = ProtocolVersion.current, session: String, client: String? = nil, ticket: String? = nil) {
            self.protocol = `protocol`; self.session = session; self.client = client; self.ticket = ticket
        }
    }

    public struct Open: Sendable, Hashable, Codable {
        public var path: String
        public var knownRev: Int?
        /// The id of the document `knownRev` is a revision of (a snapshot's or catch-up's `id`):
        /// when the path now names another document (deleted and created again), a snapshot
        /// answers instead of a catch-up.
        public var knownId: String?
        /// When the document does not exist yet: create it with this text (editors only).
        public var create: String?
        public init(path: String, knownRev: Int? = nil, knownId: String? = nil, create: String? = nil) {
            self.path = path; self.knownRev = knownRev; self.knownId = knownId; self.create = create
        }
    }

    public struct PathRef: Sendable, Hashable, Codable {
        public var path: String
        public init(path: String) { self.path = path }
    }

    public struct Op: Sendable, Hashable, Codable {
        public var path: String
        public var baseRev: Int
        public var ops: TextOperation
        public var opId: String
        public init(path: String, baseRev: Int, ops: TextOperation, opId: String) {
            self.path = path; self.baseRev = baseRev; self.ops = ops; self.opId = opId
        }

        /// The longest `opId`, in UTF-8 bytes.
        public static let maxOpIdBytes = 128

        /// Whether `opId` is one the server takes: 1 to ``maxOpIdBytes`` bytes, no control
        /// characters (it is stored, logged and echoed in errors).
        public var hasValidOpId: Bool { Self.isValidOpId(opId) }

        /// The rule of ``hasValidOpId`` for any `opId` (one another node forwards, too).
        public static func isValidOpId(_ opId: String) -> Bool {
            !opId.isEmpty && opId.utf8.count <= maxOpIdBytes
                && !opId.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }
    }

    public struct PresenceUpdate: Sendable, Hashable, Codable {
        public var path: String
        /// The revision the selections refer to.
        public var rev: Int
        public var selections: [SelectionRange]
        public init(path: String, rev: Int, selections: [SelectionRange]) {
            self.path = path; self.rev = rev; self.selections = selections
        }
    }

    public struct ChatSend: Sendable, Hashable, Codable {
        public var text: String
        public init(text: String) { self.text = text }
    }

    public struct AnnotateCreate: Sendable, Hashable, Codable {
        public var path: String
        public var rev: Int
        public var from: Int
        public var to: Int
        public var body: String
        /// Set for a reply.
        public var parent: String?
        public init(path: String, rev: Int, from: Int, to: Int, body: String, parent: String? = nil) {
            self.path = path; self.rev = rev; self.from = from; self.to = to; self.body = body; self.parent = parent
        }
    }

    public struct AnnotationRef: Sendable, Hashable, Codable {
        public var id: String
        public init(id: String) { self.id = id }
    }

    public struct HashCheck: Sendable, Hashable, Codable {
        public var path: String
        public var rev: Int
        public var hash: String
        public init(path: String, rev: Int, hash: String) { self.path = path; self.rev = rev; self.hash = hash }
    }

    /// Exactly one of `token` (an access token: editors, `mesh lsp`) and `ticket` (a fresh
    /// ticket from `POST /v1/ws-ticket`: browsers).
    public struct Auth: Sendable, Hashable, Codable {
        public var token: String?
        public var ticket: String?
        public init(token: String) { self.token = token }
        public init(ticket: String) { self.ticket = ticket }
    }

    public struct Ping: Sendable, Hashable, Codable {
        public var id: String?
        public init(id: String? = nil) { self.id = id }
    }
}

extension ClientMessage: Codable {
    public var type: String {
        switch self {
        case .hello: "hello"
        case .open: "open"
        case .close: "close"
        case .op: "op"
        case .presence: "presence"
        case .chat: "chat"
        case .annotate: "annotate"
        case .resolve: "resolve"
        case .deleteAnnotation: "deleteAnnotation"
        case .hash: "hash"
        case .ping: "ping"
        case .auth: "auth"
        }
    }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
        switch type {
        case "hello": self = .hello(try .init(from: decoder))
        case "open": self = .open(try .init(from: decoder))
        case "close": self = .close(try .init(from: decoder))
        case "op": self = .op(try .init(from: decoder))
        case "presence": self = .presence(try .init(from: decoder))
        case "chat": self = .chat(try .init(from: decoder))
        case "annotate": self = .annotate(try .init(from: decoder))
        case "resolve": self = .resolve(try .init(from: decoder))
        case "deleteAnnotation": self = .deleteAnnotation(try .init(from: decoder))
        case "hash": self = .hash(try .init(from: decoder))
        case "ping": self = .ping(try .init(from: decoder))
        case "auth": self = .auth(try .init(from: decoder))
        default: throw UnknownMessageType(type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(type, forKey: .type)
        switch self {
        case let .hello(m): try m.encode(to: encoder)
        case let .open(m): try m.encode(to: encoder)
        case let .close(m): try m.encode(to: encoder)
        case let .op(m): try m.encode(to: encoder)
        case let .presence(m): try m.encode(to: encoder)
        case let .chat(m): try m.encode(to: encoder)
        case let .annotate(m): try m.encode(to: encoder)
        case let .resolve(m), let .deleteAnnotation(m): try m.encode(to: encoder)
        case let .hash(m): try m.encode(to: encoder)
        case let .ping(m): try m.encode(to: encoder)
        case let .auth(m): try m.encode(to: encoder)
        }
    }
}

/// The discriminator every message carries.
enum TypeKey: String, CodingKey { case type }

/// A message whose `type` this side does not know.
public struct UnknownMessageType: Error, Sendable, CustomStringConvertible {
    public var type: String
    public var description: String { "unknown message type \"\(type)\"" }
}
