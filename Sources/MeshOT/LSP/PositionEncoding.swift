/// The unit an LSP `Position.character` counts, as negotiated through `positionEncoding`.
///
/// Mesh counts Unicode scalars everywhere else; conversion to the editor's unit happens only
/// at the LSP edge, through ``TextBuffer``.
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
