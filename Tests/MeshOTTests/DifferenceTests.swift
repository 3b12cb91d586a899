import MeshTestSupport
import Testing
@testable import MeshOT

/// `TextOperation.difference`: the operation a change made outside any editor (a tool rewriting
/// a file) becomes. It must reproduce the new text exactly, touch only what changed, and merge
/// with a concurrent edit elsewhere without losing either side.
@Suite struct DifferenceTests {
    /// Random texts of many lines, each changed at random lines: applying the difference to
    /// the old text gives the new one, every time.
    @Test func theDifferenceTurnsTheOldTextIntoTheNewOne() throws {
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let old = (0..<Int.random(in: 0...20, using: &rng)).map { _ in randomText(maxPieces: 6, using: &rng) + "\n" }.joined()
            var lines = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let at = Int.random(in: 0...lines.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: lines.insert(randomText(maxPieces: 5, using: &rng), at: at)
                case 1 where at < lines.count: lines.remove(at: at)
                default: if at < lines.count { lines[at] += randomText(maxPieces: 2, using: &rng) }
                }
            }
            let new = Bool.random(using: &rng) ? lines.joined(separator: "\n") : randomText(maxPieces: 30, using: &rng)
            let operation = TextOperation.difference(from: old, to: new)
            #expect(operation.baseLength == old.unicodeScalars.count, "seed \(seed)")
            #expect(try operation.apply(to: old) == new, "seed \(seed): \(String(reflecting: old)) → \(String(reflecting: new)): \(operation)")
        }
    }

    /// gofmt-like: two lines changed far apart in a long file become two small replacements,
    /// not one spanning everything between them.
    @Test func separateChangesStaySeparate() throws {
        let old = (1...200).map { "line \($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "line 10\n", with: "line ten\n").replacingOccurrences(of: "line 190\n", with: "line 190\nadded\n")
        let operation = TextOperation.difference(from: old, to: new)
        #expect(try operation.apply(to: old) == new)
        let deleted = operation.components.reduce(0) { if case let .delete(n) = $1 { $0 + n } else { $0 } }
        let inserted = operation.components.reduce(0) { if case let .insert(s) = $1 { $0 + s.unicodeScalars.count } else { $0 } }
        #expect(deleted <= "line 10\n".count && inserted <= "line ten\n".count + "added\n".count, "\(operation)")
    }

    /// A tool reformats one function while a peer types in another: both changes survive the
    /// merge (the peer's edit transformed against the tool's difference, and the other way).
    @Test func aToolsChangeMergesWithAConcurrentEditElsewhere() throws {
        let base = "func a() {\n\treturn 1\n}\n\nfunc b() {\n\treturn 2\n}\n"
        let tool = base.replacingOccurrences(of: "\treturn 1", with: "\treturn  1 // formatted")
        let length = base.unicodeScalars.count
        let peer = TextOperation.replacing(length - 2..<length - 2, with: "\tprintln()\n", in: length)
        let fromDisk = TextOperation.difference(from: base, to: tool)
        let (diskAfterPeer, peerAfterDisk) = try TextOperation.transform(fromDisk, peer)
        let merged = try diskAfterPeer.apply(to: try peer.apply(to: base))
        #expect(merged == (try peerAfterDisk.apply(to: tool)))
        #expect(merged.contains("return  1 // formatted") && merged.contains("\tprintln()\n"), "\(merged)")
    }

    @Test func equalTextsGiveTheIdentity() {
        #expect(TextOperation.difference(from: "abc\n", to: "abc\n").isNoop)
        #expect(TextOperation.difference(from: "", to: "").isNoop)
    }
}
