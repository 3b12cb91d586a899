/// A participant's role in a collaboration session.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case viewer, editor, owner

    /// Whether this role may change document text.
    public var canEdit: Bool { self != .viewer }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        let order: [Role] = [.viewer, .editor, .owner]
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}
