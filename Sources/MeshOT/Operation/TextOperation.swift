/// A change to a text, as a sequence of retain / insert / delete components counted in Unicode
/// scalars (the ot.js model).
///
/// An operation is always kept in normal form: no empty components, adjacent components of the
/// same kind merged, and an insert placed before a delete at the same position. Two operations
/// that do the same thing are therefore equal.
public struct TextOperation: Sendable, Hashable {
    /// One step of an operation.
    public enum Component: Sendable, Hashable {
        /// Keep the next `n` scalars.
        case retain(Int)
        /// Insert the text (counted in Unicode scalars).
        case insert(String)
        /// Remove the next `n` scalars.
        case delete(Int)
    }

    /// The components, in normal form.
    public internal(set) var components: [Component] = []
    /// The length (in scalars) of the text this operation applies to.
    public internal(set) var baseLength = 0
    /// The length (in scalars) of the text this operation produces.
    public internal(set) var targetLength = 0

    /// The empty operation on the empty text.
    public init() {}

    /// An operation built from components (normalised as they are appended).
    public init(_ components: [Component]) {
        self.components.reserveCapacity(components.count)
        for component in components { append(component) }
    }

    /// The identity operation on a text of `length` scalars.
    public static func identity(length: Int) -> TextOperation {
        var op = TextOperation()
        op.retain(length)
        return op
    }

    /// An operation that replaces `range` of a text of `length` scalars with `text`.
    public static func replacing(_ range: Range<Int>, with text: String, in length: Int) -> TextOperation {
        var op = TextOperation()
        op.components.reserveCapacity(4)
        op.retain(range.lowerBound)
        op.insert(text)
        op.delete(range.count)
        op.retain(length - range.upperBound)
        return op
    }

    /// True when applying the operation leaves every text unchanged.
    public var isNoop: Bool {
        components.allSatisfy { if case .retain = $0 { return true } else { return false } }
    }

    /// Appends a component, keeping normal form.
    public mutating func append(_ component: Component) {
        switch component {
        case let .retain(n): retain(n)
        case let .insert(s): insert(s)
        case let .delete(n): delete(n)
        }
    }

    /// Keeps the next `n` scalars.
    public mutating func retain(_ n: Int) {
        precondition(n >= 0, "retain count must not be negative")
        guard n > 0 else { return }
        baseLength += n
        targetLength += n
        if case let .retain(m)? = components.last {
            components[components.count - 1] = .retain(m + n)
        } else {
            components.append(.retain(n))
        }
    }

    /// Inserts `text` at the current position.
    public mutating func insert(_ text: String) {
        guard !text.isEmpty else { return }
        targetLength += text.unicodeScalars.count
        let count = components.count
        switch components.last {
        case let .insert(s)?:
            components[count - 1] = .insert(s + text)
        case let .delete(n)?:
            // Normal form: an insert goes before an adjacent delete.
            if count >= 2, case let .insert(s) = components[count - 2] {
                components[count - 2] = .insert(s + text)
            } else {
                components[count - 1] = .insert(text)
                components.append(.delete(n))
            }
        default:
            components.append(.insert(text))
        }
    }

    /// Removes the next `n` scalars.
    public mutating func delete(_ n: Int) {
        precondition(n >= 0, "delete count must not be negative")
        guard n > 0 else { return }
        baseLength += n
        if case let .delete(m)? = components.last {
            components[components.count - 1] = .delete(m + n)
        } else {
            components.append(.delete(n))
        }
    }
}

extension TextOperation: CustomStringConvertible {
    public var description: String {
        "[" + components.map { component -> String in
            switch component {
            case let .retain(n): return "retain \(n)"
            case let .insert(s): return "insert \(String(reflecting: s))"
            case let .delete(n): return "delete \(n)"
            }
        }.joined(separator: ", ") + "]"
    }
}
