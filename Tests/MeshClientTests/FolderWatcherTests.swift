import Foundation
@testable import MeshClient
import Testing

/// The shared folder watched for changes made outside the editor: writes, atomic renames (how
/// editors and formatters save), new folders (watched from then on), deletions; ignored paths
/// never reported.
@Suite struct FolderWatcherTests {
    /// Collects batches until `done` holds for their union, or 10 s pass.
    func collect(_ watcher: FolderWatcher, until done: @escaping @Sendable (Set<String>) -> Bool) async -> Set<String> {
        await withTaskGroup(of: Set<String>?.self) { group in
            group.addTask {
                var seen: Set<String> = []
                for await batch in watcher.changes {
                    seen.formUnion(batch.paths)
                    if done(seen) { return seen }
                }
                return seen
            }
            group.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            watcher.stop()
            return first ?? []
        }
    }

    func folder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("src"), withIntermediateDirectories: true)
        try Data("package main\n".utf8).write(to: root.appendingPathComponent("src/main.go"))
        try Data("old\n".utf8).write(to: root.appendingPathComponent("gone.txt"))
        return root
    }

    @Test func writesRenamesNewFoldersAndDeletionsAreReported() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let watcher = try FolderWatcher(root: root) { path, _ in path == ".git" || path.hasPrefix(".git/") }
        let expected: Set<String> = ["src/main.go", "go.mod", "gen/deep/types.go", "gone.txt"]
        async let seen = collect(watcher) { $0.isSuperset(of: expected) }
        try await Task.sleep(for: .milliseconds(100))
        // A plain write, an atomic save (written beside, renamed over), a new folder tree with a
        // file, a deletion, and a write under .git.
        try Data("package main\n\nfunc main() {}\n".utf8).write(to: root.appendingPathComponent("src/main.go"))
        try Data("module x\n".utf8).write(to: root.appendingPathComponent("go.mod"), options: .atomic)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("gen/deep"), withIntermediateDirectories: true)
        try Data("package deep\n".utf8).write(to: root.appendingPathComponent("gen/deep/types.go"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("gone.txt"))
        try Data("ref\n".utf8).write(to: root.appendingPathComponent(".git/HEAD"))
        let result = await seen
        #expect(result.isSuperset(of: expected), "\(result.sorted())")
        #expect(!result.contains { $0.hasPrefix(".git") }, "\(result.sorted())")
    }

    @Test func aFolderCreatedAfterTheStartIsWatched() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let watcher = try FolderWatcher(root: root) { _, _ in false }
        async let seen = collect(watcher) { $0.contains("later/b.txt") }
        try await Task.sleep(for: .milliseconds(100))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("later"), withIntermediateDirectories: true)
        try await Task.sleep(for: .milliseconds(200))
        // Written after the folder's watch was added: reported from that watch.
        try Data("b\n".utf8).write(to: root.appendingPathComponent("later/b.txt"))
        let result = await seen
        #expect(result.contains("later/b.txt"), "\(result.sorted())")
    }

    /// Collects batches' moves until `done` holds for them, or 10 s pass.
    func moves(_ watcher: FolderWatcher, until done: @escaping @Sendable ([FolderWatcher.Move]) -> Bool) async -> [FolderWatcher.Move] {
        await withTaskGroup(of: [FolderWatcher.Move]?.self) { group in
            group.addTask {
                var seen: [FolderWatcher.Move] = []
                for await batch in watcher.changes {
                    #expect(batch.moves.allSatisfy { batch.paths.contains($0.from) || $0.from.hasSuffix("/") })
                    seen += batch.moves
                    if done(seen) { return seen }
                }
                return seen
            }
            group.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            watcher.stop()
            return first ?? []
        }
    }

    /// `mv` (one `rename(2)` inside the folder) is a move; so is an atomic save (a temporary
    /// file moved over the saved one: the reader tells it from a rename); a file moved from an
    /// ignored path, or out of the folder, is none; a folder moved is one move of the folder.
    @Test func movesInsideTheFolderArePaired() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-watch-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outside) }
        let watcher = try FolderWatcher(root: root) { path, _ in path == ".git" || path.hasPrefix(".git/") || path.hasSuffix(".swp") }
        let expected = [FolderWatcher.Move(from: "src/main.go", to: "cmd/main.go"),
                        FolderWatcher.Move(from: "tmp-save", to: "gone.txt"),
                        FolderWatcher.Move(from: "src/", to: "lib/")]
        async let seen = moves(watcher) { seen in expected.allSatisfy(seen.contains) }
        try await Task.sleep(for: .milliseconds(100))
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("cmd"), withIntermediateDirectories: true)
        try await Task.sleep(for: .milliseconds(100))
        try fm.moveItem(at: root.appendingPathComponent("src/main.go"), to: root.appendingPathComponent("cmd/main.go"))
        try Data("saved\n".utf8).write(to: root.appendingPathComponent("tmp-save"))
        #expect(rename(root.appendingPathComponent("tmp-save").path, root.appendingPathComponent("gone.txt").path) == 0)
        try Data("x\n".utf8).write(to: root.appendingPathComponent("a.swp"))
        #expect(rename(root.appendingPathComponent("a.swp").path, root.appendingPathComponent("from-ignored.txt").path) == 0)
        try Data("y\n".utf8).write(to: root.appendingPathComponent("leaving.txt"))
        try fm.createDirectory(at: outside, withIntermediateDirectories: true)
        try fm.moveItem(at: root.appendingPathComponent("leaving.txt"), to: outside.appendingPathComponent("leaving.txt"))
        try Data("z\n".utf8).write(to: root.appendingPathComponent("src/other.go"))
        try await Task.sleep(for: .milliseconds(100))
        try fm.moveItem(at: root.appendingPathComponent("src"), to: root.appendingPathComponent("lib"))
        let result = await seen
        #expect(expected.allSatisfy(result.contains), "\(result)")
        #expect(!result.contains { $0.to == "from-ignored.txt" || $0.from == "leaving.txt" || $0.from.hasSuffix(".swp") }, "\(result)")
    }

    /// The pairing alone: halves with one cookie make a move, in the order they completed;
    /// a half without the other makes none; `take` starts afresh.
    @Test func movePairingByCookie() {
        var pairing = FolderWatcher.MovePairing()
        pairing.movedFrom("a.go", cookie: 7)
        pairing.movedFrom("x.tmp", cookie: 8)
        pairing.movedTo("b.go", cookie: 7)
        pairing.movedTo("in-from-outside.go", cookie: 9)
        pairing.movedTo("main.go", cookie: 8)
        pairing.movedFrom("same", cookie: 10)
        pairing.movedTo("same", cookie: 10)
        pairing.movedFrom("left-unpaired", cookie: 11)
        #expect(pairing.take() == [FolderWatcher.Move(from: "a.go", to: "b.go"), FolderWatcher.Move(from: "x.tmp", to: "main.go")])
        pairing.movedTo("late", cookie: 11)
        #expect(pairing.take().isEmpty)
    }
}
