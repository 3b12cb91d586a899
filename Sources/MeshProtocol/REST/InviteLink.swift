import Foundation

/// An invite link, `<server>/join/<code>`: the invite code together with the server it is
/// valid on, so that whoever receives it needs nothing else to join (`mesh join <link>`).
/// `mesh serve` answers `GET /join/{code}` with a short page saying so.
public struct InviteLink: Sendable, Hashable {
    /// The server's base URL (`http://host:port`, perhaps with a path prefix), no trailing slash.
    public var server: String
    /// The invite code.
    public var code: String

    public init(server: String, code: String) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.code = code
    }

    /// `<server>/join/<code>`.
    public var url: String { "\(server)/join/\(code)" }

    /// The longest invite code accepted (the server makes 43-character ones).
    public static let maxCodeLength = 256

    /// Whether `code` can be an invite code: base64url characters (what the server makes), at
    /// most ``maxCodeLength`` of them.
    public static func isValidCode(_ code: some StringProtocol) -> Bool {
        !code.isEmpty && code.utf8.count <= maxCodeLength && code.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }

    /// Whether `text` is meant as a link rather than a bare code: a code never holds `/` or `:`.
    public static func looksLikeLink(_ text: String) -> Bool {
        text.contains("/") || text.contains(":")
    }

    /// Parses a link strictly: `http` or `https`, a host (name, IPv4 or `[IPv6]`) and an optional
    /// port, no user, query or fragment, and a path that ends in `/join/<code>` (what comes before
    /// is the server's path prefix, plain segments only). Surrounding whitespace is ignored.
    public init(parsing text: String) throws {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        func fail(_ reason: String) -> InviteLinkError {
            InviteLinkError("\(String(reflecting: text)) is not an invite link: \(reason) (expected http://server/join/CODE)")
        }
        guard let separator = text.range(of: "://") else { throw fail("it has no http:// or https://") }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw fail("only http and https links are accepted") }
        let rest = text[separator.upperBound...]
        guard rest.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw fail("it holds spaces, control or non-ASCII characters")
        }
        if rest.contains("?") || rest.contains("#") { throw fail("it has a query or a fragment") }
        if rest.contains("@") { throw fail("it names a user") }
        if rest.contains("%") { throw fail("it has percent-encoded characters") }
        guard let slash = rest.firstIndex(of: "/") else { throw fail("it has no /join/CODE path") }
        let authority = rest[..<slash]
        guard Self.isValidAuthority(authority) else { throw fail("\(String(reflecting: String(authority))) is not a host[:port]") }
        let segments = rest[slash...].split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard segments.count >= 2, segments[segments.endIndex - 2] == "join" else { throw fail("its path does not end in /join/CODE") }
        let code = segments[segments.endIndex - 1]
        guard Self.isValidCode(code) else { throw fail("the code holds characters an invite code has not") }
        let prefix = segments.dropLast(2)
        guard prefix.allSatisfy({ segment in
            !segment.isEmpty && segment != "." && segment != ".."
                && segment.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-._~".unicodeScalars.contains($0) }
        }) else { throw fail("its path before /join/ is not plain") }
        let path = prefix.map { "/\($0)" }.joined()
        self.init(server: "\(scheme)://\(authority)\(path)", code: String(code))
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    static func isValidAuthority(_ authority: Substring) -> Bool {
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            let inside = authority[authority.index(after: authority.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
        } else {
            var host = authority
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            }
            guard !host.isEmpty, !host.hasPrefix("."), !host.hasPrefix("-"),
                  host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" })
            else { return false }
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(port), (1...65535).contains(number)
            else { return false }
        }
        return true
    }
}

/// Text that is not a valid invite link.
public struct InviteLinkError: Error, CustomStringConvertible, Sendable, Hashable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
