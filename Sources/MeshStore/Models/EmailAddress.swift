import Foundation

/// The one rule for comparing emails, used wherever one is typed (signing up, logging in, the
/// login throttle, a profile update) and by the store, which finds accounts by ``key(_:)``.
public enum EmailAddress {
    /// The email as kept and shown: what was typed, without white space or line breaks around it
    /// (a form or a paste adds them).
    public static func spelling(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What identifies an account: the ``spelling(_:)``, lower-cased. Two emails with one key
    /// are one account (unique in the store, one login throttle).
    public static func key(_ raw: String) -> String {
        spelling(raw).lowercased()
    }
}
