/// The rules of one `.gitignore` file, matched the way git does: blank lines and `#` comments
/// skipped, `!` negation, a trailing `/` for directories only, a `/` at the start or in the
/// middle anchoring the pattern to the file's folder, `*`, `?`, `**` and `[a-z]` classes,
/// `\` escapes.
public struct GitIgnore: Sendable, Hashable {
    /// One pattern line.
    public struct Rule: Sendable, Hashable {
        /// Pattern segments between `/`; `**` stands for any number of folders.
        var segments: [[UInt32]]
        public var negated: Bool
        public var directoryOnly: Bool
        /// Matched against the whole path below the base folder, not just the last name.
        public var anchored: Bool
    }

    /// The folder holding the file, workspace-relative with `/` ("" for the root).
    public var base: String
    public var rules: [Rule]

    public init(_ text: String, base: String = "") {
        self.base = base
        self.rules = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .compactMap { Self.parse(String($0)) }
    }

    /// Whether the rules ignore `path` (workspace-relative): true ignored, false re-included by
    /// a `!` rule, nil when no rule speaks about it. The last matching rule wins. Only `path`
    /// itself is matched, not its parent folders (``IgnoreMatcher`` does that).
    public func decision(for path: String, isDirectory: Bool) -> Bool? {
        var relative = Substring(path)
        if !base.isEmpty {
            guard path.hasPrefix(base + "/") else { return nil }
            relative = path.dropFirst(base.count + 1)
        }
        let names = relative.split(separator: "/").map { Array($0.unicodeScalars.map(\.value)) }
        guard let last = names.last else { return nil }
        for rule in rules.reversed() where !rule.directoryOnly || isDirectory {
            let matched = rule.anchored ? Self.match(rule.segments[...], names[...])
                                        : Self.wildcard(rule.segments[0][...], last[...])
            if matched { return !rule.negated }
        }
        return nil
    }

    static func parse(_ line: String) -> Rule? {
        var text = Array(line.unicodeScalars.map(\.value))
        // Trailing spaces are dropped unless escaped with a backslash.
        while let last = text.last, last == 0x20 || last == 0x09 || last == 0x0D {
            if text.count >= 2, text[text.count - 2] == 0x5C, last == 0x20 { break }
            text.removeLast()
        }
        guard let first = text.first, first != 0x23 /* # */ else { return nil }
        var negated = false
        if first == 0x21 /* ! */ { negated = true; text.removeFirst() }
        else if first == 0x5C, text.count > 1, text[1] == 0x23 || text[1] == 0x21 { text.removeFirst() }
        var directoryOnly = false
        while text.last == 0x2F /* / */ { directoryOnly = true; text.removeLast() }
        guard !text.isEmpty else { return nil }
        let anchored = text.contains(0x2F)
        if text.first == 0x2F { text.removeFirst() }
        let segments = text.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
        guard !segments.isEmpty else { return nil }
        return Rule(segments: segments, negated: negated, directoryOnly: directoryOnly, anchored: anchored)
    }

    private static let doubleStar: [UInt32] = [0x2A, 0x2A]

    /// Pattern segments against path names; `**` matches zero or more names, a trailing `**`
    /// at least one.
    static func match(_ pattern: ArraySlice<[UInt32]>, _ names: ArraySlice<[UInt32]>) -> Bool {
        guard let head = pattern.first else { return names.isEmpty }
        if head == doubleStar {
            let rest = pattern.dropFirst()
            if rest.isEmpty { return !names.isEmpty }
            for skip in 0...names.count where match(rest, names.dropFirst(skip)) { return true }
            return false
        }
        guard let name = names.first, wildcard(head[...], name[...]) else { return false }
        return match(pattern.dropFirst(), names.dropFirst())
    }

    /// One glob segment (`*`, `?`, `[…]`, `\x`) against one name.
    static func wildcard(_ pattern: ArraySlice<UInt32>, _ name: ArraySlice<UInt32>) -> Bool {
        var p = pattern.startIndex, n = name.startIndex
        var star: (p: Int, n: Int)?
        while n < name.endIndex {
            if p < pattern.endIndex {
                switch pattern[p] {
                case 0x2A: // *
                    while p < pattern.endIndex, pattern[p] == 0x2A { p += 1 }
                    star = (p, n)
                    continue
                case 0x3F: // ?
                    p += 1; n += 1
                    continue
                case 0x5B: // [
                    if let (matched, next) = characterClass(pattern, at: p, name[n]) {
                        if matched { p = next; n += 1; continue }
                    } else if name[n] == 0x5B { p += 1; n += 1; continue }
                case 0x5C where p + 1 < pattern.endIndex: // \x
                    if pattern[p + 1] == name[n] { p += 2; n += 1; continue }
                default:
                    if pattern[p] == name[n] { p += 1; n += 1; continue }
                }
            }
            guard let last = star else { return false }
            star = (last.p, last.n + 1)
            p = last.p; n = last.n + 1
        }
        while p < pattern.endIndex, pattern[p] == 0x2A { p += 1 }
        return p == pattern.endIndex
    }

    /// `[abc]`, `[a-z]`, `[!x]` / `[^x]` at `start`: whether `c` matches and the index after
    /// the `]`; nil when the class is not closed (the `[` is then literal).
    static func characterClass(_ pattern: ArraySlice<UInt32>, at start: Int, _ c: UInt32) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < pattern.endIndex, pattern[i] == 0x21 || pattern[i] == 0x5E { negate = true; i += 1 }
        var matched = false
        var first = true
        while i < pattern.endIndex {
            var low = pattern[i]
            if low == 0x5D, !first { return (matched != negate, i + 1) }
            first = false
            if low == 0x5C, i + 1 < pattern.endIndex { i += 1; low = pattern[i] }
            if i + 2 < pattern.endIndex, pattern[i + 1] == 0x2D, pattern[i + 2] != 0x5D {
                var high = pattern[i + 2]
                i += 2
                if high == 0x5C, i + 1 < pattern.endIndex { i += 1; high = pattern[i] }
                if low <= c && c <= high { matched = true }
            } else if low == c {
                matched = true
            }
            i += 1
        }
        return nil
    }
}

/// The `.gitignore` files that apply to a workspace, root first: a path is ignored when the
/// deepest file with a matching rule says so, or when one of its parent folders is ignored.
public struct IgnoreMatcher: Sendable {
    public private(set) var files: [GitIgnore] = []

    public init(_ files: [GitIgnore] = []) {
        self.files = files.sorted { $0.base.split(separator: "/").count < $1.base.split(separator: "/").count }
    }

    /// Adds the rules of the `.gitignore` in `base` (deeper folders must come after their parents).
    public mutating func add(_ file: GitIgnore) {
        files.append(file)
    }

    /// Whether `path` (workspace-relative, `/`-separated) is ignored.
    public func isIgnored(_ path: String, isDirectory: Bool) -> Bool {
        let names = path.split(separator: "/")
        for depth in names.indices {
            let prefix = names[...depth].joined(separator: "/")
            if ownDecision(prefix, isDirectory: depth < names.count - 1 || isDirectory) { return true }
        }
        return false
    }

    /// The decision for the path alone, ignoring its parents.
    func ownDecision(_ path: String, isDirectory: Bool) -> Bool {
        for file in files.reversed() {
            if let decision = file.decision(for: path, isDirectory: isDirectory) { return decision }
        }
        return false
    }
}
