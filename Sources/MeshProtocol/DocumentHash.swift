/// The document hash both sides compare every N operations: FNV-1a 64 over the UTF-8 text,
/// as 16 hex digits. Not cryptographic; it only has to notice divergence.
public enum DocumentHash {
    public static func of(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
