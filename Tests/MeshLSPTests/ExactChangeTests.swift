import MeshOT
import Testing
@testable import MeshLSP

/// `mesh/exactChange` (the editors/nvim plugin): the exact changes replace a `didChange`'s line
/// differences only when they make the same text.
@Suite struct ExactChangeTests {
    typealias Change = (range: LSPRange?, text: String)

    func at(_ line: Int, _ character: Int) -> LSPRange {
        LSPRange(start: LSPPosition(line: line, character: character), end: LSPPosition(line: line, character: character))
    }

    func exact(_ tick: Int, _ line: Int, _ character: Int, _ text: String) -> ExactChange {
        ExactChange(tick: tick, range: at(line, character), text: text)
    }

    func applied(_ changes: [Change], to base: TextBuffer, encoding: PositionEncoding) throws -> String {
        var text = base
        for change in changes { try text.operation(replacing: change.range, with: change.text, encoding: encoding).apply(to: &text) }
        return text.description
    }

    /// `<an1>` typed one key at a time between `m` and `ain`: Neovim reports the `a` one place
    /// on (after the buffer's `a`); the exact changes put it where it was typed.
    @Test func exactChangesReplaceAnAmbiguousReport() throws {
        let base = TextBuffer("x 🎉\nfunc main() {\n")
        let reported: [Change] = [(at(1, 6), "<"), (at(1, 8), "a"), (at(1, 8), "n"), (at(1, 9), "1"), (at(1, 10), ">")]
        let exact = [exact(3, 1, 6, "<"), exact(4, 1, 7, "a"), exact(5, 1, 8, "n"), exact(6, 1, 9, "1"), exact(7, 1, 10, ">")]
        for encoding in PositionEncoding.allCases {
            let chosen = try #require(DocumentBridge.exactInstead(of: reported, exact: exact, on: base, encoding: encoding))
            #expect(chosen.compactMap { $0.range } == exact.map { $0.range })
            #expect(try applied(chosen, to: base, encoding: encoding) == "x 🎉\nfunc m<an1>ain() {\n")
        }
    }

    /// Positions count UTF-8 bytes: converted to the negotiated encoding.
    @Test func utf8PositionsAreConverted() throws {
        let base = TextBuffer("é🎉a\n")
        let reported: [Change] = [(LSPRange(start: LSPPosition(line: 0, character: 4), end: LSPPosition(line: 0, character: 4)), "a")]
        let exact = [exact(1, 0, 6, "a")]   // after é (2 bytes) and 🎉 (4 bytes)
        let chosen = try #require(DocumentBridge.exactInstead(of: reported, exact: exact, on: base, encoding: .utf16))
        #expect(chosen.compactMap { $0.range } == [at(0, 3)])
        #expect(try applied(chosen, to: base, encoding: .utf16) == "é🎉aa\n")
    }

    /// Exact changes that do not make the reported text (missing, unreadable, or for another
    /// text) are not taken.
    @Test func aMismatchKeepsTheReport() throws {
        let base = TextBuffer("func main() {\n")
        let reported: [Change] = [(at(0, 8), "a")]
        #expect(DocumentBridge.exactInstead(of: reported, exact: [exact(1, 0, 7, "b")], on: base, encoding: .utf8) == nil)
        #expect(DocumentBridge.exactInstead(of: reported, exact: [exact(1, 0, 40, "a")], on: base, encoding: .utf8) == nil)
        // The whole text replaced (no range): the exact change still applies when it makes it.
        let whole: [Change] = [(nil, "func maain() {\n")]
        let chosen = try #require(DocumentBridge.exactInstead(of: whole, exact: [exact(1, 0, 6, "a")], on: base, encoding: .utf8))
        #expect(chosen.compactMap { $0.range } == [at(0, 6)])
    }

    /// Changes reported already (Neovim's undo calls on_bytes after on_lines) lead the list:
    /// the tail that makes the text is taken.
    @Test func staleChangesAtTheFrontAreSkipped() throws {
        let base = TextBuffer("func main() {\n")
        let reported: [Change] = [(at(0, 7), "a")]   // an `a` typed before the `a` of `main`
        let stale = exact(9, 0, 0, "garbage")
        let chosen = try #require(DocumentBridge.exactInstead(of: reported, exact: [stale, exact(9, 0, 6, "a")], on: base, encoding: .utf8))
        #expect(chosen.compactMap { $0.range } == [at(0, 6)])
    }
}
