/// Walks an operation's components, letting compose and transform consume part of one.
struct ComponentCursor {
    private let components: [TextOperation.Component]
    private var index = 0
    /// The part of the current component not yet consumed, or nil at the end.
    private(set) var current: TextOperation.Component?

    init(_ operation: TextOperation) {
        components = operation.components
        current = components.first
    }

    /// Moves to the next component.
    mutating func advance() {
        index += 1
        current = index < components.count ? components[index] : nil
    }

    /// Consumes `n` scalars of the current component (its whole length or less).
    mutating func consume(_ n: Int) {
        guard let component = current else { return }
        switch component {
        case let .retain(m):
            if m == n { advance() } else { current = .retain(m - n) }
        case let .delete(m):
            if m == n { advance() } else { current = .delete(m - n) }
        case let .insert(s):
            let scalars = s.unicodeScalars
            let cut = scalars.index(scalars.startIndex, offsetBy: n)
            if cut == scalars.endIndex { advance() } else { current = .insert(String(scalars[cut...])) }
        }
    }

    /// Consumes `n` scalars here and in `other`, and returns `n`: compose and transform step
    /// through both operations at once by the shorter of the two current components.
    @discardableResult
    mutating func consume(_ n: Int, alongWith other: inout ComponentCursor) -> Int {
        consume(n)
        other.consume(n)
        return n
    }
}

extension String {
    /// The first `n` Unicode scalars of the string.
    func scalarPrefix(_ n: Int) -> String {
        let scalars = unicodeScalars
        return String(scalars[..<scalars.index(scalars.startIndex, offsetBy: n)])
    }

    /// The number of Unicode scalars, the unit of every Mesh offset.
    @inlinable
    var scalarCount: Int { unicodeScalars.count }
}
