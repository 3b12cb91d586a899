import Foundation
import MeshStore

/// The rules for what people type into accounts and sessions: emails, names, passwords.
enum AccountRules {
    /// The email as kept (``EmailAddress/spelling(_:)``), when it looks like one.
    static func email(_ raw: String) throws -> String {
        let email = EmailAddress.spelling(raw)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !email.unicodeScalars.contains(where: { isInvisible($0) || $0.properties.isWhitespace })
        else { throw ApiError.badRequest("invalid email address") }
        return email
    }

    static func displayName(_ raw: String) throws -> String {
        try name(raw, what: "display name")
    }

    /// A session's name, as created and as renamed.
    static func sessionName(_ raw: String) throws -> String {
        try name(raw, what: "session name", maxCharacters: 200)
    }

    /// A name people read (a display name, a session name): 1 to `maxCharacters` characters and
    /// at most 4 bytes each, with no control, format or bidi-override characters (they reorder
    /// or hide what others see) and no line breaks (they forge lines in logs and mails).
    static func name(_ raw: String, what: String, maxCharacters: Int = 100) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...maxCharacters).contains(name.count), name.utf8.count <= 4 * maxCharacters else {
            throw ApiError.badRequest("\(what) must have 1 to \(maxCharacters) characters and at most \(4 * maxCharacters) bytes")
        }
        guard !name.unicodeScalars.contains(where: { isInvisible($0) || "\n\r\u{85}".unicodeScalars.contains($0) }) else {
            throw ApiError.badRequest("\(what) must not hold control, format or bidirectional-override characters")
        }
        return name
    }

    static func password(_ password: String) throws {
        guard password.count >= 8 else { throw ApiError.badRequest("password must have at least 8 characters") }
        // bcrypt reads at most 72 bytes: refuse longer rather than silently truncate.
        guard password.utf8.count <= 72 else { throw ApiError.badRequest("password must have at most 72 bytes") }
    }

    /// Control (Cc) and format (Cf: bidi overrides and isolates, zero-width characters) scalars,
    /// and line and paragraph separators.
    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
