/// The collaboration protocol's version, exchanged in `hello` / `welcome`. A server refuses a
/// client whose major version it does not speak.
public enum ProtocolVersion {
    public static let current = 1
    public static let supported: ClosedRange<Int> = 1...1
}
