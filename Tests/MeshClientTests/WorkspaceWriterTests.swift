import Foundation
import Testing
import MeshClient

/// Issue 11 (client file safety): a session's document path never reaches a participant's
/// `.git` or `.mesh`, on any file system, and a write never goes through a symbolic link.
@Suite struct WorkspaceWriterTests {
    /// Each of these is `.git` or `.mesh` on macOS (case-insensitive, normalizing, HFS+ ignorable
    /// code points) or Windows (trailing dots and spaces, streams, 8.3 short names).
    @Test(arguments: [
        ".git/config", ".GIT/config", ".Git/hooks/pre-commit", "src/.git/config", ".mesh/session.json",
        ".MESH/session.json", ".g\u{200C}it/config", "\u{FEFF}.git/config", ".git\u{200D}/config",
        ".git./config", ".git /config", ".git::$INDEX_ALLOCATION/config", "GIT~1/config", "git~12/x",
        "MESH~1/session.json", "\u{FF0E}git/config", ".\u{FF27}IT/config",
    ])
    func protectedAliasesAreRefused(path: String) throws {
        #expect(WorkspaceSharing.safePath(path) == nil, "\(String(reflecting: path)) aliases a protected name")
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: WorkspaceError.self) { try WorkspaceWriter.write(Data("x".utf8), to: path, in: root) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty, "nothing was written")
    }

    @Test(arguments: ["src/main.go", ".github/workflows/ci.yml", ".gitignore", "git/config", "docs/.gitkeep",
                      ".meshrc", "mesh/notes.md", "gitx~1/file", "é/ü.txt"])
    func ordinaryPathsAreWritten(path: String) throws {
        #expect(WorkspaceSharing.safePath(path) == path)
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try WorkspaceWriter.write(Data("hello".utf8), to: path, in: root)
        #expect(try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) == "hello")
    }

    /// `mesh join` into a folder that does not exist yet makes it.
    @Test func aMissingFolderIsCreated() throws {
        let parent = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let root = parent.appendingPathComponent("new/workspace")
        try WorkspaceWriter.write(Data("hi".utf8), to: "src/a.txt", in: root)
        #expect(try String(contentsOf: root.appendingPathComponent("src/a.txt"), encoding: .utf8) == "hi")
    }

    /// A folder link inside the workspace pointing elsewhere is not followed.
    @Test func aLinkedFolderIsNotWrittenThrough() throws {
        let root = try temporaryFolder(), outside = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("docs"), withDestinationURL: outside)
        #expect(throws: WorkspaceError.self) { try WorkspaceWriter.write(Data("x".utf8), to: "docs/authorized_keys", in: root) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty, "nothing landed outside")
    }

    /// A file link is neither followed nor replaced: the participant's target keeps its text.
    @Test func aLinkedFileIsNotWrittenThrough() throws {
        let root = try temporaryFolder(), outside = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: outside) }
        let target = outside.appendingPathComponent("bashrc")
        try Data("mine".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("notes.txt"), withDestinationURL: target)
        #expect(throws: WorkspaceError.self) { try WorkspaceWriter.write(Data("theirs".utf8), to: "notes.txt", in: root) }
        #expect(try String(contentsOf: target, encoding: .utf8) == "mine")
    }

    /// Attack: a peer renames a document into a folder that is a symbolic link on my disk
    /// (`docs` → a folder outside the workspace), so that `mesh lsp`, moving the file after the
    /// session's rename (`DocumentBridge.moveDocument`, through ``WorkspaceWriter/move(_:from:to:in:)``),
    /// would write it out of the folder. Refused, wherever the link is on the way or if the new
    /// name is a link itself: nothing lands outside, the file stays where it was, and the error
    /// (shown to the user by `moveDocument`) names the link.
    @Test func aPeerRenameIntoASymlinkedFolderIsRefused() throws {
        let root = try temporaryFolder(), outside = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: outside) }
        let link = root.appendingPathComponent("docs")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        let fileLink = root.appendingPathComponent("notes.md")
        let target = outside.appendingPathComponent("bashrc")
        try Data("mine".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: fileLink, withDestinationURL: target)
        try WorkspaceWriter.write(Data("shared".utf8), to: "notes.txt", in: root)

        for (to, through) in [("docs/notes.txt", link), ("docs/sub/deeper/notes.txt", link), ("notes.md", fileLink)] {
            do {
                try WorkspaceWriter.move(Data("shared".utf8), from: "notes.txt", to: to, in: root)
                Issue.record("the rename to \(to) was moved through a symbolic link")
            } catch let error as WorkspaceError {
                #expect(error.description.contains("\(through.path) is a symbolic link"), "\(to): \(error)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path) == ["bashrc"], "\(to): nothing landed outside")
            #expect(try String(contentsOf: target, encoding: .utf8) == "mine", "\(to): the linked file keeps its text")
            #expect(try String(contentsOf: root.appendingPathComponent("notes.txt"), encoding: .utf8) == "shared",
                    "\(to): the file stays where it was")
        }
    }

    /// The other way: a document in a linked folder renamed out of it is not moved either (the
    /// file read and removed would be outside the workspace).
    @Test func aPeerRenameOutOfASymlinkedFolderIsRefused() throws {
        let root = try temporaryFolder(), outside = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: outside) }
        let link = root.appendingPathComponent("docs")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        try Data("theirs".utf8).write(to: outside.appendingPathComponent("notes.txt"))
        #expect(throws: WorkspaceError.self) {
            try WorkspaceWriter.move(Data("theirs".utf8), from: "docs/notes.txt", to: "notes.txt", in: root)
        }
        #expect(try String(contentsOf: outside.appendingPathComponent("notes.txt"), encoding: .utf8) == "theirs")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("notes.txt").path), "nothing written")
    }

    /// With no link on the way, the rename moves the file, into a new folder if need be.
    @Test func aPeerRenameMovesTheFile() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try WorkspaceWriter.write(Data("shared".utf8), to: "notes.txt", in: root)
        try WorkspaceWriter.move(Data("shared".utf8), from: "notes.txt", to: "docs/notes.txt", in: root)
        #expect(try String(contentsOf: root.appendingPathComponent("docs/notes.txt"), encoding: .utf8) == "shared")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("notes.txt").path))
    }

    /// The scanner behind `mesh share` does not upload folders that alias protected names either.
    @Test func sharingSkipsAliasesOfProtectedFolders() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        for path in [".GIT/config", "a/.Git/HEAD", "main.go"] {
            try WorkspaceWriter.write(Data("x".utf8), to: path.replacingOccurrences(of: "GIT", with: "gitx")
                .replacingOccurrences(of: "Git", with: "gitx"), in: root)
        }
        // Make the aliases directly: the writer (rightly) refuses to.
        try FileManager.default.moveItem(at: root.appendingPathComponent(".gitx"), to: root.appendingPathComponent(".GIT"))
        try FileManager.default.moveItem(at: root.appendingPathComponent("a/.gitx"), to: root.appendingPathComponent("a/.Git"))
        #expect(try WorkspaceScanner().scan(root).files == ["main.go"])
    }

    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-ww-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
