/// A document's key: a workspace-relative path with `/` separators.
///
/// Refused: empty, absolute (`/x`, `C:\x`), `..` or `.` segments, empty segments, backslashes,
/// NUL or other control characters, more than ``maxLength`` UTF-8 bytes.
public enum DocumentPath {
    public static let maxLength = 1024

    /// The path, validated.
    /// - Throws: ``ErrorMessage`` with code `bad_request` and the reason.
    public static func validate(_ path: String) throws(ErrorMessage) -> String {
        func refuse(_ why: String) -> ErrorMessage {
            ErrorMessage(.badRequest, "invalid document path \(String(reflecting: path)): \(why)")
        }
        guard !path.isEmpty else { throw refuse("empty") }
        guard path.utf8.count <= maxLength else { throw refuse("longer than \(maxLength) bytes") }
        guard !path.hasPrefix("/") else { throw refuse("absolute paths are not allowed") }
        guard !path.contains("\\") else { throw refuse("backslashes are not allowed") }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw refuse("control characters (NUL included) are not allowed")
        }
        if path.count >= 2, path.dropFirst().first == ":" { throw refuse("drive letters are not allowed") }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { throw refuse("empty path segment") }
            if segment == ".." || segment == "." { throw refuse("'\(segment)' segments are not allowed") }
        }
        return path
    }
}
