import MeshOT
import MeshTestSupport

/// The exactly-once check of the bridge tests: everything anyone inserts is a unique token
/// (`<a12🎉>`), never put inside another token, so that afterwards each token must appear
/// exactly once (none if it was deleted), and the text without its tokens must be the text
/// the scenario started with. Equal buffers are not enough: they can be equally wrong.
struct Tokens {
    /// Every token inserted, and those deleted since.
    private(set) var inserted: [String] = []
    private(set) var deleted: Set<String> = []
    private var counter = 0

    /// What token bodies are made of: a line break, astral and combining characters, CJK.
    static let fillers = ["", "", "x", "🎉", "中文", "e\u{301}", "𝄞", "\n", "\r\n", " "]

    /// A new unique token; `plain` keeps it free of line breaks (typed a key at a time).
    mutating func make(_ author: String, plain: Bool = false, rng: inout SeededRandom) -> String {
        counter += 1
        let filler = (plain ? Self.typedFillers : Self.fillers).randomElement(using: &rng)!
        let token = "<\(author)\(counter)\(filler)>"
        inserted.append(token)
        return token
    }

    mutating func markDeleted(_ token: String) { deleted.insert(token) }

    /// What a token typed a key at a time is made of after its `<`: `typedFillers`, the
    /// authors' letters (u, r; a, b, c) and digits.
    static let typedFillers = ["", "x", "🎉", "中"]
    private static let typedScalars = Set("urabc0123456789x🎉中".unicodeScalars)

    /// Offsets where a token may go: not inside a token, nor before, inside or at the open end
    /// of one being typed (`<` and typed characters, no `>` yet), nor between the `\r` and `\n` of a
    /// line break unless `splitCRLF`.
    static func boundaries(in text: TextBuffer, splitCRLF: Bool = false) -> [Int] {
        let scalars = Array(text.description.unicodeScalars)
        var excluded = [Bool](repeating: false, count: scalars.count + 1)
        for (_, range) in complete(in: text) where range.count > 1 {
            for offset in (range.lowerBound + 1)..<range.upperBound { excluded[offset] = true }
        }
        var offset = 0
        while offset < scalars.count {
            defer { offset += 1 }
            guard scalars[offset] == "<", !complete(in: scalars, from: offset) else { continue }
            var end = offset + 1
            while end < scalars.count, typedScalars.contains(scalars[end]) { end += 1 }
            // Also right before it: Neovim reports a token inserted before a partial one that
            // is a prefix of it (`<` of `<u6>`) rotated to just after that prefix, where the
            // typist's cursor is, and their next key may then land on either side of it.
            for inside in offset...end { excluded[inside] = true }
        }
        return (0...scalars.count).filter { offset in
            !excluded[offset]
                && (splitCRLF || !(offset > 0 && offset < scalars.count && scalars[offset - 1] == "\r" && scalars[offset] == "\n"))
        }
    }

    /// Whether the `<` at `start` opens a complete token (a `>` before the next `<`).
    private static func complete(in scalars: [Unicode.Scalar], from start: Int) -> Bool {
        for scalar in scalars[(start + 1)...] {
            if scalar == ">" { return true }
            if scalar == "<" { return false }
        }
        return false
    }

    /// Complete tokens in `text` with their offsets (never one still being typed).
    static func complete(in text: TextBuffer) -> [(token: String, range: Range<Int>)] {
        let scalars = Array(text.description.unicodeScalars)
        var result: [(String, Range<Int>)] = []
        var start: Int?
        for (offset, scalar) in scalars.enumerated() {
            if scalar == "<" { start = offset } else if scalar == ">", let from = start {
                var token = String.UnicodeScalarView()
                token.append(contentsOf: scalars[from...offset])
                result.append((String(token), from..<(offset + 1)))
                start = nil
            }
        }
        return result
    }

    /// Nil when `text` holds every live token exactly once, no deleted one, and otherwise just
    /// `initial`; else what is wrong.
    func violation(in text: String, initial: String) -> String? {
        // Compared scalar by scalar: String equality would merge a token's `>` with a
        // combining mark after it into one character.
        var rest = Array(text.unicodeScalars)
        let all = rest
        var problems: [String] = []
        for token in inserted {
            let needle = Array(token.unicodeScalars)
            let count = Self.occurrences(of: needle, in: all).count
            let wanted = deleted.contains(token) ? 0 : 1
            if count != wanted { problems.append("\(String(reflecting: token)) ×\(count), wanted \(wanted)") }
            if let at = Self.occurrences(of: needle, in: rest).first { rest.removeSubrange(at..<(at + needle.count)) }
        }
        if problems.isEmpty, rest != Array(initial.unicodeScalars) {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: rest)
            problems.append("text without the tokens is \(String(reflecting: String(view))), was \(String(reflecting: initial))")
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    private static func occurrences(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        return (0...(haystack.count - needle.count)).filter { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
