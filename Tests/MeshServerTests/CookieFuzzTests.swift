import Foundation
import Testing
@testable import MeshServer
import MeshTestSupport

/// The browser cookie parser (``WebCookies/value(_:inCookieHeaders:)``), which any peer reaches
/// with a `Cookie` header, fed seeded hostile headers: many `;`, empty and look-alike names, `=`
/// and quotes in values, non-ASCII, NUL and control bytes, duplicated names, whitespace of every
/// kind, several `Cookie` fields, and now and then a huge one. A crash ends the test process, so
/// surviving is the first check; then a value read must be bytes of the header, and the value
/// a header built by the test holds must come back exactly. `MESH_FUZZ_FRAMES` changes the count
/// (100,000 by default), `MESH_FUZZ_SEED` the seed.
@Suite(.timeLimit(.minutes(5))) struct CookieFuzzTests {
    static let headers = Int(ProcessInfo.processInfo.environment["MESH_FUZZ_FRAMES"] ?? "") ?? 100_000
    static let seed = UInt64(ProcessInfo.processInfo.environment["MESH_FUZZ_SEED"] ?? "") ?? 11

    /// Headers the test builds, so it knows what each holds: the first cookie of the wanted
    /// name must come back exactly (without the spaces and tabs around it), whatever look-alikes
    /// and duplicates surround it; none at all, nil.
    @Test func builtHeadersGiveBackTheValueTheyHold() {
        var generator = HostileCookies(seed: Self.seed)
        var found = 0, absent = 0
        for index in 0..<Self.headers {
            let header = generator.builtHeader()
            let value = WebCookies.value(header.name, inCookieHeaders: header.fields)
            if let problem = HostileCookies.problem(with: value, in: header.fields)
                ?? (bytes(value) == bytes(header.expected) ? nil
                    : "expected \(String(reflecting: header.expected)), read \(String(reflecting: value))") {
                Issue.record("seed \(Self.seed), header \(index), cookie \(header.name): \(problem)\n\(preview(header.fields))")
                return
            }
            if value == nil { absent += 1 } else { found += 1 }
        }
        print("cookies: \(Self.headers) built headers, \(found) values read, \(absent) absent, all as built (seed \(Self.seed))")
        #expect(found > 0 && absent > 0, "the generator makes headers with and without the cookie")
    }

    /// Headers of random pieces, `;` and `=` among them: what is read is what the plain reading
    /// of RFC 6265 in bytes (split at every `;`, the first pair named so) reads.
    @Test func randomHeadersAreReadAsBytes() {
        var generator = HostileCookies(seed: Self.seed &+ 1)
        var found = 0
        for index in 0..<Self.headers {
            let fields = generator.randomFields()
            for name in [WebCookies.access, WebCookies.refresh, WebCookies.csrf, "a", ""] {
                let value = WebCookies.value(name, inCookieHeaders: fields)
                let reference = HostileCookies.reference(name, fields)
                if let problem = HostileCookies.problem(with: value, in: fields)
                    ?? (bytes(value) == bytes(reference) ? nil
                        : "the byte reading gives \(String(reflecting: reference)), read \(String(reflecting: value))") {
                    Issue.record("seed \(Self.seed &+ 1), header \(index), cookie \(String(reflecting: name)): \(problem)\n\(preview(fields))")
                    return
                }
                if value != nil { found += 1 }
            }
        }
        print("cookies: \(Self.headers) random headers, \(found) values read, all as bytes (seed \(Self.seed &+ 1))")
        #expect(found > 0)
    }

    /// Attack: another cookie on the site (one whose value a user or another application sets)
    /// carries U+037E GREEK QUESTION MARK, which Swift takes for `;` (canonical equivalence), and
    /// a `mesh_csrf` of the attacker's after it. Browsers send it as one cookie, and so it is read.
    @Test func aUnicodeSemicolonInAnotherCookieSmugglesNoCookie() {
        let known = String(repeating: "A", count: 43), real = String(repeating: "r", count: 43)
        #expect(WebCookies.value(WebCookies.csrf, inCookieHeaders: ["theme=dark\u{37E}mesh_csrf=\(known)"]) == nil)
        #expect(WebCookies.value(WebCookies.csrf, inCookieHeaders: ["theme=dark\u{37E}mesh_csrf=\(known); mesh_csrf=\(real)"]) == real)
        #expect(bytes(WebCookies.value("theme", inCookieHeaders: ["theme=dark\u{37E}mesh_csrf=\(known)"]))
            == bytes("dark\u{37E}mesh_csrf=\(known)"))
        // A name after Unicode whitespace is not the bare name; a `;` with a combining mark after it still ends a pair.
        #expect(WebCookies.value(WebCookies.csrf, inCookieHeaders: ["\u{3000}mesh_csrf=\(known); mesh_csrf=\(real)"]) == real)
        #expect(WebCookies.value(WebCookies.csrf, inCookieHeaders: ["a=1;\u{301}mesh_csrf=\(known); mesh_csrf=\(real)"]) == real)
        #expect(WebCookies.value("a", inCookieHeaders: ["a=1;\u{301}mesh_csrf=\(known)"]) == "1")
    }

    /// A value is all after the first `=`, quotes and further `=` included (Hummingbird's reading
    /// dropped the `=` a value began with); spaces and tabs around it go, other whitespace stays.
    @Test func aValueKeepsItsEqualsSignsAndQuotes() {
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["mesh_csrf==abc"]) == "=abc")
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["mesh_csrf=a=b=="]) == "a=b==")
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: [#"mesh_csrf="quoted""#]) == #""quoted""#)
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: [" \tmesh_csrf \t= \tv w\t ; x=y"]) == "v w")
        #expect(bytes(WebCookies.value("mesh_csrf", inCookieHeaders: ["mesh_csrf=\u{A0}v\u{3000}"])) == bytes("\u{A0}v\u{3000}"))
        // Empty, or no `=`: absent. The first of a name counts, even empty; other fields are read in turn.
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["mesh_csrf=", "mesh_csrf= ", "mesh_csrf", ""]) == nil)
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["mesh_csrf=; mesh_csrf=late"]) == nil)
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["mesh_csrf=one; mesh_csrf=two"]) == "one")
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["a=b", "mesh_csrf"]) == nil)
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["a=b", "c=d; mesh_csrf=second"]) == "second")
        #expect(WebCookies.value("mesh_csrf", inCookieHeaders: ["MESH_CSRF=x; mesh_csrf\u{301}=y; mesh-csrf=z"]) == nil)
    }

    /// Attack: a huge `Cookie` header of many pairs, long names and values, or long grapheme
    /// clusters, to hold the event loop. Read in one pass over the bytes.
    @Test func aHugeCookieHeaderIsReadInLinearTime() {
        let token = "t0k3n-_"
        let crafted: [(String, [String])] = [
            ("a megabyte of ;", [String(repeating: ";", count: 1 << 20) + "mesh_csrf=" + token]),
            ("100,000 look-alike cookies", [String(repeating: "\u{3000}mesh_csrf=evil; ", count: 100_000) + "mesh_csrf=" + token]),
            ("a name of a megabyte", [String(repeating: "m", count: 1 << 20) + "=x; mesh_csrf=" + token]),
            ("a value of a megabyte of =", ["mesh_csrf=" + token + String(repeating: "=", count: 1 << 20)]),
            ("a megabyte of spaces", ["mesh_csrf=" + String(repeating: " ", count: 1 << 19) + token + String(repeating: " ", count: 1 << 19)]),
            ("200,000 combining marks", [";" + String(repeating: "\u{301}", count: 200_000) + "=x; mesh_csrf=" + token]),
            ("1,000 Cookie fields", Array(repeating: "a=b; c=d", count: 1_000) + ["mesh_csrf=" + token]),
        ]
        for (what, fields) in crafted {
            let start = ContinuousClock.now
            let value = WebCookies.value(WebCookies.csrf, inCookieHeaders: fields)
            let elapsed = ContinuousClock.now - start
            #expect(value?.hasPrefix(token) == true, "\(what): \(String(reflecting: value?.prefix(20)))")
            #expect(elapsed < .seconds(10), "\(what): \(elapsed) (a quadratic reading takes hours)")
        }
    }
}

/// Seeded hostile `Cookie` headers for ``CookieFuzzTests``.
private struct HostileCookies {
    var random: SeededRandom

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    /// Pieces values are made of: `=`, quotes, the characters RFC 6265 forbids in a value,
    /// controls and NUL, whitespace of every kind, combining marks, U+037E (canonically `;`),
    /// bidi and byte-order marks, astral characters, percent escapes and a smuggled cookie.
    static let valuePieces = [
        "a", "Z9", "-_", "eyJhbGciOiJIUzI1NiJ9", "=", "==", "\"", "\\", ",", " ", "\t", "  ", "\u{0}", "\u{1}", "\u{7F}",
        "\r", "\n", "\r\n", "é", "e\u{301}", "\u{301}", "中", "😀", "\u{37E}", "\u{A0}", "\u{3000}", "\u{2028}", "\u{FEFF}",
        "\u{202E}", "\u{1F1FA}", "%3B", "\u{37E}mesh_csrf=evil", "\u{FFFD}", "K\u{212A}",
    ]

    /// Between pairs: `;` with the spaces and tabs around it, and empty pairs.
    static let separators = [";", "; ", "; ", "; ", ";  ", ";\t", " ; ", ";;", "; ;", " ;\t; "]

    /// A header of pairs the test knows: the cookie wanted, duplicates of it, look-alikes and
    /// pairs with no `=`, in one `Cookie` field or several.
    mutating func builtHeader() -> (name: String, fields: [String], expected: String?) {
        let name = [WebCookies.access, WebCookies.refresh, WebCookies.csrf].randomElement(using: &random)!
        var pairs: [String] = []
        var expected: String??
        for _ in 0..<random.int(0...8) {
            switch random.int(0...9) {
            case 0...2:
                // The wanted cookie: a token like ours, or a hostile value; spaces and tabs around.
                let value = random.int(0...2) == 0 ? token() : text(pieces: random.int(0...6))
                pairs.append(whitespace() + name + whitespace() + "=" + whitespace() + value)
                if expected == nil { expected = .some(Self.trimmed(value)) }
            case 3...6: pairs.append(lookAlike(of: name) + "=" + text(pieces: random.int(0...6)))
            default: pairs.append(text(pieces: random.int(0...4)).replacingOccurrences(of: "=", with: ""))  // no `=`: no cookie
            }
        }
        if random.int(0...1_999) == 0 {   // now and then a huge one
            pairs.insert(huge(), at: random.int(0...pairs.count))
        }
        var fields = [""]
        for (index, pair) in pairs.enumerated() {
            if index > 0 {
                if random.int(0...9) == 0 { fields.append("") } else { fields[fields.count - 1] += Self.separators.randomElement(using: &random)! }
            }
            fields[fields.count - 1] += pair
        }
        if random.int(0...9) == 0 { fields[0] = ";" + fields[0] }
        if random.int(0...9) == 0 { fields[fields.count - 1] += ";" }
        let value = expected ?? nil
        return (name, fields, value.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// One to three `Cookie` fields of random pieces, `;`, `=` and the cookie names among them.
    mutating func randomFields() -> [String] {
        let pieces = Self.valuePieces + Self.separators + ["=", "=", ";", ";", "mesh_access", "mesh_refresh", "mesh_csrf", "a", " ", "\t"]
        return (0..<random.int(1...3)).map { _ in
            var field = ""
            for _ in 0..<random.int(0...24) { field += pieces.randomElement(using: &random)! }
            if random.int(0...4_999) == 0 { field += huge() }
            return field
        }
    }

    /// A name that is not `name`: empty, extended, in capitals, after Unicode whitespace, a
    /// combining mark or NUL, quoted, hyphenated, or another cookie's.
    private mutating func lookAlike(of name: String) -> String {
        switch random.int(0...11) {
        case 0: ""
        case 1: name + "x"
        case 2: "x" + name
        case 3: name.uppercased()
        case 4: "\u{3000}" + name
        case 5: name + "\u{A0}"
        case 6: "\u{301}" + name
        case 7: name + "\u{301}"
        case 8: "\"" + name + "\""
        case 9: name.replacingOccurrences(of: "_", with: "-")
        case 10: "\u{0}" + name
        default: ["theme", "mesh_access", "mesh_refresh", "mesh_csrf", "__Host-mesh_csrf"].filter { $0 != name }.randomElement(using: &random)!
        }
    }

    /// A pair to hold the parser: many `;`, a long name or value, or a long grapheme cluster.
    private mutating func huge() -> String {
        let size = random.int(1_000...65_536)
        switch random.int(0...4) {
        case 0: return String(repeating: ";", count: size)
        case 1: return String(repeating: "x", count: size) + "=" + String(repeating: "=", count: size)
        case 2: return "q=" + String(repeating: "\u{301}", count: size)
        case 3: return String(repeating: "\u{1F1FA}", count: size / 4) + "=v"
        default: return String(repeating: " ", count: size)
        }
    }

    /// Nothing, or a few spaces and tabs.
    private mutating func whitespace() -> String {
        random.int(0...2) == 0 ? ["", " ", "\t", "  ", " \t "].randomElement(using: &random)! : ""
    }

    /// 43 characters of base64url, as the server's tokens.
    private mutating func token() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<43).map { _ in alphabet.randomElement(using: &random)! })
    }

    private mutating func text(pieces: Int) -> String {
        var text = ""
        for _ in 0..<pieces { text += Self.valuePieces.randomElement(using: &random)! }
        return text
    }

    /// Without the spaces and tabs at either end, scalar by scalar (a space a combining mark
    /// follows is one Character, but a space byte all the same).
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }

    /// RFC 6265 read plainly in bytes: every field split at every `;`, the first pair whose name
    /// (before its first `=`, spaces and tabs trimmed) is `name`; its trimmed value, nil if empty.
    static func reference(_ name: String, _ fields: [String]) -> String? {
        for field in fields {
            for pair in field.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let pairName = String(decoding: pair[..<equals], as: UTF8.self)
                guard Array(trimmed(pairName).utf8) == Array(name.utf8) else { continue }
                let value = trimmed(String(decoding: pair[pair.index(after: equals)...], as: UTF8.self))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// What a value read breaks, if anything: it must be non-empty bytes of one field, with no
    /// `;` and no space or tab at either end.
    static func problem(with value: String?, in fields: [String]) -> String? {
        guard let value else { return nil }
        let read = Array(value.utf8)
        if read.isEmpty { return "an empty value" }
        if read.contains(UInt8(ascii: ";")) { return "a value with a ;: \(String(reflecting: value))" }
        if let first = read.first, let last = read.last, [0x20, 0x09].contains(first) || [0x20, 0x09].contains(last) {
            return "spaces or tabs left around \(String(reflecting: value))"
        }
        guard fields.contains(where: { Array($0.utf8).firstRange(of: read) != nil }) else {
            return "\(String(reflecting: value)) is not bytes of the header"
        }
        return nil
    }
}

/// The UTF-8 bytes, to compare exactly (`==` on strings is canonical equivalence: U+037E is `;`).
private func bytes(_ text: String?) -> [UInt8]? { text.map { Array($0.utf8) } }

/// The fields, cut short, for a failure message.
private func preview(_ fields: [String]) -> String {
    fields.map { String(reflecting: String($0.unicodeScalars.prefix(300))) }.joined(separator: "\n")
}
