/// The unit a ``TextPosition/character`` counts: UTF-8 bytes, UTF-16 code units or Unicode
/// scalars (the raw values are LSP's `positionEncoding` names).
///
/// Mesh counts Unicode scalars everywhere else. This lives in MeshOT, not with the LSP types in
/// MeshLSP, because ``TextBuffer``'s rope caches each of these counts per node, which is what
/// makes its position conversions O(log n).
public enum PositionEncoding: String, Sendable, Hashable, Codable, CaseIterable {
    case utf8 = "utf-8"
    case utf16 = "utf-16"
    case utf32 = "utf-32"

    /// How many code units of this encoding one scalar takes.
    @inlinable
    public func width(of scalar: Unicode.Scalar) -> Int {
        switch self {
        case .utf32: return 1
        case .utf16: return scalar.value > 0xFFFF ? 2 : 1
        case .utf8: return UTF8.width(scalar)
        }
    }
}

/// A zero-based line and a `character` counted in code units of a ``PositionEncoding``: the
/// position an editor shows, which ``TextBuffer`` converts to and from scalar offsets. MeshLSP
/// sends it as the LSP `Position` (`LSPPosition`).
public struct TextPosition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var line: Int
    public var character: Int

    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    public static func < (lhs: TextPosition, rhs: TextPosition) -> Bool {
        (lhs.line, lhs.character) < (rhs.line, rhs.character)
    }

    public var description: String { "\(line):\(character)" }
}
