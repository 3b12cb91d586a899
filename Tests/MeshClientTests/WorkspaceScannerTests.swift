import Foundation
import Testing
import MeshClient

@Suite struct WorkspaceScannerTests {
    /// Writes `files` (path → bytes) under a fresh temporary folder.
    static func makeFolder(_ files: [String: [UInt8]]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-scan-\(UUID().uuidString)")
        for (path, bytes) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        return root
    }

    @Test func scansTextFilesHonouringIgnoresAndLimits() throws {
        let root = try Self.makeFolder([
            ".gitignore": Array("*.log\nbuild/\n/top-only.txt\n".utf8),
            "a.txt": Array("hello\n".utf8),
            "b/c.swift": Array("let x = 1\r\n".utf8),
            "b/d.log": Array("ignored".utf8),
            "b/top-only.txt": Array("kept: the rule is anchored".utf8),
            "top-only.txt": Array("ignored".utf8),
            "build/out.txt": Array("ignored".utf8),
            ".git/config": Array("[core]".utf8),
            ".mesh/session.json": Array("{}".utf8),
            "sub/.git": Array("gitdir: ../x".utf8),
            "bin.dat": [0x41, 0x00, 0x42],
            "bad.txt": [0x61, 0xFF, 0xFE, 0x62],
            "big.txt": Array(repeating: 0x61, count: 200),
            "emoji.md": Array("😀 ünïcödé\n".utf8),
            "sub/.gitignore": Array("!keep.log\n".utf8),
            "sub/keep.log": Array("re-included by the nested file".utf8),
            "sub/other.log": Array("ignored".utf8),
            "empty.txt": [],
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.txt").path,
                                                   withDestinationPath: "a.txt")
        let result = try WorkspaceScanner(maxFileSize: 100).scan(root)
        #expect(result.files == [".gitignore", "a.txt", "b/c.swift", "b/top-only.txt", "emoji.md", "empty.txt",
                                 "sub/.gitignore", "sub/keep.log"])
        #expect(result.files == result.files.sorted())
        let skipped = Dictionary(uniqueKeysWithValues: result.skipped.map { ($0.path, $0.reason) })
        #expect(skipped == ["bad.txt": .binary, "bin.dat": .binary, "big.txt": .tooLarge(bytes: 200),
                            "link.txt": .symbolicLink])
        #expect(try WorkspaceScanner().readText("emoji.md", in: root) == "😀 ünïcödé\n")
        #expect(try WorkspaceScanner().readText("bin.dat", in: root) == nil)
    }

    @Test func defaultLimitIsOneMebibyte() throws {
        let root = try Self.makeFolder([
            "small.txt": Array(repeating: 0x61, count: 1 << 20),
            "large.txt": Array(repeating: 0x61, count: (1 << 20) + 1),
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try WorkspaceScanner().scan(root)
        #expect(result.files == ["small.txt"])
        #expect(result.skipped.map(\.path) == ["large.txt"])
    }

    @Test func textDetection() {
        #expect(WorkspaceScanner.text(of: Data("plain".utf8)) == "plain")
        #expect(WorkspaceScanner.text(of: Data([0xEF, 0xBF, 0xBD])) == "\u{FFFD}")
        #expect(WorkspaceScanner.text(of: Data([0xC3])) == nil)
        // A NUL after the probed prefix is valid UTF-8 text.
        #expect(WorkspaceScanner.text(of: Data(Array(repeating: 0x61, count: 9000) + [0])) != nil)
        #expect(WorkspaceScanner.text(of: Data([0x61, 0x00])) == nil)
    }
}
