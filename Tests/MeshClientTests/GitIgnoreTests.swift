import Testing
@testable import MeshClient

@Suite struct GitIgnoreTests {
    /// pattern, path, is a directory, expected decision (nil: no rule applies).
    static let table: [(String, String, Bool, Bool?)] = [
        ("*.log", "a.log", false, true),
        ("*.log", "deep/er/a.log", false, true),
        ("*.log", "a.logx", false, nil),
        ("/build", "build", true, true),
        ("/build", "src/build", true, nil),
        ("build/", "build", true, true),
        ("build/", "build", false, nil),
        ("build/", "src/build", true, true),
        ("doc/*.txt", "doc/a.txt", false, true),
        ("doc/*.txt", "doc/x/a.txt", false, nil),
        ("doc/*.txt", "sub/doc/a.txt", false, nil),
        ("**/foo", "foo", false, true),
        ("**/foo", "a/b/foo", false, true),
        ("**/foo/bar", "x/y/foo/bar", false, true),
        ("a/**/b", "a/b", false, true),
        ("a/**/b", "a/x/y/b", false, true),
        ("a/**/b", "a/x/c", false, nil),
        ("abc/**", "abc/x", false, true),
        ("abc/**", "abc/x/y", false, true),
        ("abc/**", "abc", true, nil),
        ("?.txt", "a.txt", false, true),
        ("?.txt", "ab.txt", false, nil),
        ("[abc].c", "b.c", false, true),
        ("[abc].c", "d.c", false, nil),
        ("[a-c]x", "bx", false, true),
        ("[!a-c]x", "dx", false, true),
        ("[!a-c]x", "ax", false, nil),
        ("[^a-c]x", "ax", false, nil),
        ("*.[ch]", "main.h", false, true),
        ("a*b*c", "axxbyyc", false, true),
        ("a*b*c", "axxbyy", false, nil),
        ("\\#file", "#file", false, true),
        ("#file", "#file", false, nil),
        ("\\!important", "!important", false, true),
        ("\\*", "*", false, true),
        ("\\*", "x", false, nil),
        ("trailing   ", "trailing", false, true),
        ("   ", "anything", false, nil),
        ("café", "café", false, true),
        ("[", "[", false, true),
    ]

    @Test(arguments: table.indices)
    func patternTable(_ index: Int) {
        let (pattern, path, isDirectory, expected) = Self.table[index]
        #expect(GitIgnore(pattern).decision(for: path, isDirectory: isDirectory) == expected,
                "\(pattern) on \(path)")
    }

    @Test func negationAndOrder() {
        let rules = GitIgnore("# logs\n\n*.log\n!keep.log\r\n")
        #expect(rules.decision(for: "other.log", isDirectory: false) == true)
        #expect(rules.decision(for: "keep.log", isDirectory: false) == false)
        #expect(rules.rules.count == 2)
        // The last matching rule wins.
        let reversed = GitIgnore("!keep.log\n*.log")
        #expect(reversed.decision(for: "keep.log", isDirectory: false) == true)
    }

    @Test func nestedFilesAndAnchoring() {
        let matcher = IgnoreMatcher([
            GitIgnore("*.tmp\nbuild/\ndist/\n!dist/keep.txt\n"),
            GitIgnore("!keep.tmp\nlocal.txt\n/anchored.txt\n", base: "sub"),
        ])
        #expect(matcher.isIgnored("a.tmp", isDirectory: false))
        #expect(matcher.isIgnored("sub/a.tmp", isDirectory: false))
        #expect(!matcher.isIgnored("sub/keep.tmp", isDirectory: false))
        #expect(!matcher.isIgnored("sub/deeper/keep.tmp", isDirectory: false))
        #expect(matcher.isIgnored("keep.tmp", isDirectory: false))
        #expect(matcher.isIgnored("sub/local.txt", isDirectory: false))
        #expect(!matcher.isIgnored("local.txt", isDirectory: false))
        #expect(matcher.isIgnored("sub/anchored.txt", isDirectory: false))
        #expect(!matcher.isIgnored("sub/deeper/anchored.txt", isDirectory: false))
        #expect(!matcher.isIgnored("anchored.txt", isDirectory: false))
        // Everything inside an ignored folder is ignored, at any depth, and cannot be re-included.
        #expect(matcher.isIgnored("build/x.c", isDirectory: false))
        #expect(matcher.isIgnored("src/build/x/y.c", isDirectory: false))
        #expect(matcher.isIgnored("dist/keep.txt", isDirectory: false))
        #expect(!matcher.isIgnored("src/main.swift", isDirectory: false))
    }
}
