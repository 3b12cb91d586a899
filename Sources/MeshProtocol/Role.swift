/// A member's role in a session, from least to most power: viewer < editor < owner. The same
/// strings on the REST API, the collaboration socket, the debug socket and in the store.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case viewer, editor, owner

    /// Whether this role may change document text.
    public var canEdit: Bool { self != .viewer }

    /// Whether a member may be given this role, by an invite or a role change: every role but
    /// owner (a session has exactly one, the member who created it). The one rule: the server
    /// refuses the others, the CLI and `mesh lsp` refuse them before asking, and the web client
    /// (`roles.js`, `GRANTABLE_ROLES`) offers only these.
    public var isGrantable: Bool { self != .owner }

    /// The roles a member may be given (``isGrantable``), least power first: viewer, editor.
    public static let grantable: [Role] = allCases.filter(\.isGrantable)

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .editor: 1
        case .owner: 2
        }
    }

    /// A role as a socket message names it: a string this side does not know reads as the
    /// least power (viewer), so a newer server's messages still decode.
    public init(lenient raw: String) {
        self = Role(rawValue: raw) ?? .viewer
    }
}

extension KeyedDecodingContainer {
    /// A role in a socket message, read leniently (``Role/init(lenient:)``).
    func decodeLenientRole(forKey key: Key) throws -> Role {
        Role(lenient: try decode(String.self, forKey: key))
    }

    /// An optional role in a socket message, read leniently (absent or null: nil).
    func decodeLenientRoleIfPresent(forKey key: Key) throws -> Role? {
        try decodeIfPresent(String.self, forKey: key).map(Role.init(lenient:))
    }
}
