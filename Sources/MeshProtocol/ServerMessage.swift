import MeshOT

/// A message from the server to a client over `/v1/ws`, JSON with a `type` field.
public enum ServerMessage: Sendable, Hashable {
    case welcome(Welcome)
    /// A document's full text at a revision, with who is where in it.
    case snapshot(Snapshot)
    /// The operations a client missed since the revision it knew.
    case catchUp(CatchUp)
    /// The sender's operation is committed (durable) as `rev`.
    case ack(Ack)
    /// Someone else's committed operation.
    case remoteOp(RemoteOp)
    case presence(Presence)
    case chat(Chat)
    case annotation(Annotation)
    /// The server's hash of a document at a revision, answering or prompting a check.
    case hash(ClientMessage.HashCheck)
    /// This connection's role changed, or it was removed from the session.
    case role(RoleChange)
    case error(ErrorMessage)
    /// The answer to `ping`, echoing its `id`.
    case pong(Pong)
    /// The token sent with `auth` was accepted: the connection now lasts until `expiresAt`.
    case authenticated(Authenticated)
    /// A document of the session was created or deleted (over a socket or the REST API): to
    /// everyone in the session, so that clients following every document follow this one too.
    case document(DocumentEvent)
    /// A user came online in the session (their first connection opened), went offline (their
    /// last one closed), or their role changed: to every connection of the session.
    case participant(ParticipantChange)

    public struct Participant: Sendable, Hashable, Codable {
        public var user: String
        public var name: String
        /// Read leniently: a role this side does not know is a viewer.
        public var role: Role
        public init(user: String, name: String, role: Role) { self.user = user; self.name = name; self.role = role }

        private enum CodingKeys: String, CodingKey { case user, name, role }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            user = try container.decode(String.self, forKey: .user)
            name = try container.decode(String.self, forKey: .name)
            role = try container.decodeLenientRole(forKey: .role)
        }
    }

    /// `{"type":"participant","user","name","role","online"}`: a ``Participant`` and whether
    /// they are online (read as `change.user`, `change.role`, … too).
    @dynamicMemberLookup
    public struct ParticipantChange: Sendable, Hashable, Codable {
        public var participant: Participant
        public var online: Bool
        public init(_ participant: Participant, online: Bool) { self.participant = participant; self.online = online }

        public subscript<Value>(dynamicMember field: WritableKeyPath<Participant, Value>) -> Value {
            get { participant[keyPath: field] }
            set { participant[keyPath: field] = newValue }
        }

        private enum CodingKeys: String, CodingKey { case online }

        public init(from decoder: any Decoder) throws {
            participant = try Participant(from: decoder)
            online = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .online)
        }

        public func encode(to encoder: any Encoder) throws {
            try participant.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(online, forKey: .online)
        }
    }

    public struct Welcome: Sendable, Hashable, Codable {
        public var `protocol`: Int
        public var session: String
        public var user: Participant
        public var online: [Participant]
        public var documents: [String]
        public var chat: [Chat]
        /// When the access token this connection opened with expires (seconds since 1970):
        /// send `auth` with a fresh token before then. Absent from servers that do not close
        /// sockets at expiry (they do not know `auth` either).
        public var tokenExpiresAt: Double?
        /// The largest message the server takes (`--max-frame-bytes`); it closes the socket on a
        /// larger one, so a client sends none. Absent from older servers, which took 1 MiB.
        public var maxFrameBytes: Int?
        public init(protocol: Int, session: String, user: Participant, online: [Participant], documents: [String], chat: [Chat],
                    tokenExpiresAt: Double? = nil, maxFrameBytes: Int? = nil) {
            self.protocol = `protocol`; self.session = session; self.user = user
            self.online = online; self.documents = documents; self.chat = chat; self.tokenExpiresAt = tokenExpiresAt
            self.maxFrameBytes = maxFrameBytes
        }

        /// What a server that does not say takes.
        public static let defaultMaxFrameBytes = 1 << 20

        /// The largest message to send this server (``messageLimit(maxFrameBytes:)``).
        public var messageLimit: Int { Self.messageLimit(maxFrameBytes: maxFrameBytes) }

        /// The largest message to send a server that said `maxFrameBytes`: taken within 1 KiB
        /// to 1 GiB (a hostile or broken server's 0 or 2^62 is not believed), else the default.
        public static func messageLimit(maxFrameBytes: Int?) -> Int {
            min(max(maxFrameBytes ?? defaultMaxFrameBytes, 1 << 10), 1 << 30)
        }
    }

    public struct Authenticated: Sendable, Hashable, Codable {
        /// Seconds since 1970.
        public var expiresAt: Double
        public init(expiresAt: Double) { self.expiresAt = expiresAt }
    }

    public struct Snapshot: Sendable, Hashable, Codable {
        public var path: String
        public var rev: Int
        public var text: String
        public var presence: [Presence]
        public var annotations: [Annotation]
        /// True when the `open` it answers created the document (with its `create` text); absent
        /// otherwise. An open that asked to create and gets no `created` met a document someone
        /// else created first.
        public var created: Bool?
        /// The document's id (for `open.knownId`).
        public var id: String?
        public init(path: String, rev: Int, text: String, presence: [Presence], annotations: [Annotation], created: Bool? = nil,
                    id: String? = nil) {
            self.path = path; self.rev = rev; self.text = text; self.presence = presence; self.annotations = annotations
            self.created = created; self.id = id
        }
    }

    public struct CatchUp: Sendable, Hashable, Codable {
        public var path: String
        public var ops: [CommittedOperation]
        /// The document's revision after these operations.
        public var rev: Int
        public var presence: [Presence]
        public var annotations: [Annotation]
        /// The document's id (for `open.knownId`).
        public var id: String?
        public init(path: String, ops: [CommittedOperation], rev: Int, presence: [Presence], annotations: [Annotation], id: String? = nil) {
            self.path = path; self.ops = ops; self.rev = rev; self.presence = presence; self.annotations = annotations; self.id = id
        }
    }

    public struct Ack: Sendable, Hashable, Codable {
        public var path: String
        public var rev: Int
        public var opId: String
        public init(path: String, rev: Int, opId: String) { self.path = path; self.rev = rev; self.opId = opId }
    }

    /// `{"type":"remoteOp","path",…}`: the committed operation's keys (`rev`, `ops`, `author`,
    /// `opId`) beside `path`.
    public struct RemoteOp: Sendable, Hashable, Codable {
        public var path: String
        public var committed: CommittedOperation
        public init(path: String, committed: CommittedOperation) { self.path = path; self.committed = committed }

        private enum CodingKeys: String, CodingKey { case path }

        public init(from decoder: any Decoder) throws {
            path = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .path)
            committed = try CommittedOperation(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(path, forKey: .path)
            try committed.encode(to: encoder)
        }
    }

    public struct Presence: Sendable, Hashable, Codable {
        public var path: String
        public var user: String
        public var name: String
        /// The revision the selections refer to.
        public var rev: Int
        /// Empty when the user left the document.
        public var selections: [SelectionRange]
        public init(path: String, user: String, name: String, rev: Int, selections: [SelectionRange]) {
            self.path = path; self.user = user; self.name = name; self.rev = rev; self.selections = selections
        }
    }

    public struct Chat: Sendable, Hashable, Codable {
        public var id: String
        public var user: String
        public var name: String
        public var text: String
        /// ISO-8601.
        public var at: String
        public init(id: String, user: String, name: String, text: String, at: String) {
            self.id = id; self.user = user; self.name = name; self.text = text; self.at = at
        }
    }

    public struct Annotation: Sendable, Hashable, Codable {
        public var id: String
        public var path: String
        public var parent: String?
        public var user: String
        public var name: String
        public var rev: Int
        public var from: Int
        public var to: Int
        public var body: String
        public var resolved: Bool
        public var deleted: Bool
        public init(id: String, path: String, parent: String?, user: String, name: String, rev: Int,
                    from: Int, to: Int, body: String, resolved: Bool, deleted: Bool = false) {
            self.id = id; self.path = path; self.parent = parent; self.user = user; self.name = name
            self.rev = rev; self.from = from; self.to = to; self.body = body; self.resolved = resolved; self.deleted = deleted
        }
    }

    public struct RoleChange: Sendable, Hashable, Codable {
        /// The new role, or nil when removed from the session (the server then closes). Read
        /// leniently: a role this side does not know is a viewer.
        public var role: Role?
        public init(role: Role?) { self.role = role }

        private enum CodingKeys: String, CodingKey { case role }

        public init(from decoder: any Decoder) throws {
            role = try decoder.container(keyedBy: CodingKeys.self).decodeLenientRoleIfPresent(forKey: .role)
        }
    }

    /// A document of the session came or went (`{"type":"document","path":…,"change":…}`).
    /// A rename is announced as the old path `deleted` with `renamedTo` and the new one
    /// `created` with `renamedFrom`, in that order: a client that does not know the two fields
    /// drops the old document and follows the new one (its file moves, through the session),
    /// one that knows them moves the document it follows, history and all.
    public struct DocumentEvent: Sendable, Hashable, Codable {
        public enum Change: String, Sendable, Hashable, Codable { case created, deleted }
        public var path: String
        public var change: Change
        /// On `deleted`: the document was renamed to this path (not deleted).
        public var renamedTo: String?
        /// On `created`: the document was renamed from this path (not created).
        public var renamedFrom: String?
        public init(path: String, change: Change, renamedTo: String? = nil, renamedFrom: String? = nil) {
            self.path = path
            self.change = change
            self.renamedTo = renamedTo
            self.renamedFrom = renamedFrom
        }
    }

    /// The answer to `ping` (`{"type":"pong","id":…}`), echoing the ping's `id`.
    public struct Pong: Sendable, Hashable, Codable {
        public var id: String?
        public init(id: String? = nil) { self.id = id }
    }
}

extension ServerMessage: Codable {
    public var type: String {
        switch self {
        case .welcome: "welcome"
        case .snapshot: "snapshot"
        case .catchUp: "catchUp"
        case .ack: "ack"
        case .remoteOp: "remoteOp"
        case .presence: "presence"
        case .chat: "chat"
        case .annotation: "annotation"
        case .hash: "hash"
        case .role: "role"
        case .error: "error"
        case .pong: "pong"
        case .authenticated: "authenticated"
        case .document: "document"
        case .participant: "participant"
        }
    }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
        switch type {
        case "welcome": self = .welcome(try .init(from: decoder))
        case "snapshot": self = .snapshot(try .init(from: decoder))
        case "catchUp": self = .catchUp(try .init(from: decoder))
        case "ack": self = .ack(try .init(from: decoder))
        case "remoteOp": self = .remoteOp(try .init(from: decoder))
        case "presence": self = .presence(try .init(from: decoder))
        case "chat": self = .chat(try .init(from: decoder))
        case "annotation": self = .annotation(try .init(from: decoder))
        case "hash": self = .hash(try .init(from: decoder))
        case "role": self = .role(try .init(from: decoder))
        case "error": self = .error(try .init(from: decoder))
        case "pong": self = .pong(try .init(from: decoder))
        case "authenticated": self = .authenticated(try .init(from: decoder))
        case "document": self = .document(try .init(from: decoder))
        case "participant": self = .participant(try .init(from: decoder))
        default: throw UnknownMessageType(type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(type, forKey: .type)
        switch self {
        case let .welcome(m): try m.encode(to: encoder)
        case let .snapshot(m): try m.encode(to: encoder)
        case let .catchUp(m): try m.encode(to: encoder)
        case let .ack(m): try m.encode(to: encoder)
        case let .remoteOp(m): try m.encode(to: encoder)
        case let .presence(m): try m.encode(to: encoder)
        case let .chat(m): try m.encode(to: encoder)
        case let .annotation(m): try m.encode(to: encoder)
        case let .hash(m): try m.encode(to: encoder)
        case let .role(m): try m.encode(to: encoder)
        case let .error(m): try m.encode(to: encoder)
        case let .pong(m): try m.encode(to: encoder)
        case let .authenticated(m): try m.encode(to: encoder)
        case let .document(m): try m.encode(to: encoder)
        case let .participant(m): try m.encode(to: encoder)
        }
    }
}
