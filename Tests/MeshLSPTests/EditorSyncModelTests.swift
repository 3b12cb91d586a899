import Foundation
import MeshOT
import Testing
@testable import MeshLSP
import MeshTestSupport

/// `EditorSync` driven by a model of each editor (``EditorModel``) while a remote author edits
/// the shared document: the user inserts whole tokens, types tokens a key at a time and deletes
/// tokens; remote tokens arrive at any moment; the editor's answers, versions, debounce and
/// report order race with all of it. Afterwards the editor, the bridge and the document hold
/// the same text, and every token appears exactly once (none if deleted) with nothing else
/// changed. 10,000 seeded scenarios per editor kind (`MESH_LSP_SCENARIOS` to change,
/// `MESH_LSP_SEED` to replay one).
@Suite struct EditorSyncModelTests {
    static let scenarios = Int(ProcessInfo.processInfo.environment["MESH_LSP_SCENARIOS"] ?? "") ?? 10_000
    static let onlySeed = ProcessInfo.processInfo.environment["MESH_LSP_SEED"].flatMap(UInt64.init)

    @Test(arguments: EditorModel.Kind.allCases)
    func everyTokenExactlyOnce(kind: EditorModel.Kind) async throws {
        if let only = ProcessInfo.processInfo.environment["MESH_LSP_KIND"], only != kind.rawValue { return }
        let seeds = Self.onlySeed.map { [$0] } ?? Array(0..<UInt64(Self.scenarios))
        // Two halves in parallel: the machine has two cores.
        let failures = await withTaskGroup(of: [String].self) { group in
            for half in 0..<2 {
                group.addTask {
                    var failures: [String] = []
                    for seed in seeds where seed % 2 == UInt64(half) {
                        do { try BridgeScenario(kind: kind, seed: seed).run() } catch {
                            failures.append("\(kind) seed \(seed) (MESH_LSP_SEED=\(seed)): \(error)")
                        }
                        if failures.count >= 5 { break }
                    }
                    return failures
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        for failure in failures.prefix(5) { Issue.record(Comment(rawValue: failure)) }
        if failures.isEmpty { print("\(kind): \(seeds.count) scenarios, every token exactly once") }
    }

    /// Neovim's built-in handler at version 0 (its `didOpen` version): an edit would not be
    /// checked, so the bridge first sends an empty edit and waits for a version it checks.
    @Test func neovimIsProbedBeforeAnEditAtVersionZero() throws {
        var sync = EditorSync(editorText: "ab", version: 0, documentText: "ab", encoding: .utf16, traits: .neovim)
        let probe = try #require(try sync.applyRemote(.replacing(1..<1, with: "<r1>", in: 2)))
        #expect(probe.version == 0)
        #expect(probe.edits == [LSPTextEdit(range: LSPRange(start: .init(line: 0, character: 0), end: .init(line: 0, character: 0)), newText: "")])
        // Bob typed before the probe arrived; Neovim reports it with the probe's empty change.
        let typed = try sync.didChange(version: 5, changes: [
            (LSPRange(start: .init(line: 0, character: 2), end: .init(line: 0, character: 2)), "<u1>"),
            (LSPRange(start: .init(line: 0, character: 0), end: .init(line: 0, character: 0)), ""),
        ])
        #expect(typed.local != nil)
        let edit = try #require(typed.send)
        #expect(edit.version == 5)
        #expect(sync.document.description == "a<r1>b<u1>")
    }

    /// Neovim at debounce 0 reports a list of edits as one `didChange` per edit, the last edit
    /// first: the first report is part of the echo, not typing.
    @Test func neovimEchoSplitOverSeveralReportsIsNotTyping() throws {
        var sync = EditorSync(editorText: "ab", version: 3, documentText: "ab", encoding: .utf16, traits: .neovim)
        let remote = try TextOperation.replacing(0..<0, with: "<r1>", in: 2).compose(.replacing(5..<5, with: "<r2>", in: 6))
        let edit = try #require(try sync.applyRemote(remote))
        #expect(edit.edits.count == 3 && edit.edits.first == EditorSync.seal)
        let first = try sync.didChange(version: 4, changes: [(LSPRange(start: .init(line: 0, character: 1), end: .init(line: 0, character: 1)), "<r2>")])
        #expect(first.local == nil && first.send == nil)
        let second = try sync.didChange(version: 5, changes: [(LSPRange(start: .init(line: 0, character: 0), end: .init(line: 0, character: 0)), "<r1>")])
        #expect(second.local == nil && !sync.isInStep)
        // The seal, at the same start as `<r1>` but first in the list, comes last.
        let sealed = try sync.didChange(version: 6, changes: [(LSPRange(start: .init(line: 0, character: 0), end: .init(line: 0, character: 0)), "")])
        #expect(sealed.local == nil)
        #expect(sync.isInStep && sync.editor.description == "<r1>a<r2>b")
    }

    /// Typing, before the edit arrives, of exactly what the edit inserts, at its place. The
    /// editors/nvim plugin says it refused the edit; Neovim's built-in handler says it applied
    /// it, and only the seal tells: typing makes no empty change after the text. Both `x` stay.
    @Test func identicalTypingIsNotTheEchoOfASkippedEdit() throws {
        for traits in [EditorTraits.neovim, .strict] {
            var sync = EditorSync(editorText: "ab", version: 3, documentText: "ab", encoding: .utf16, traits: traits)
            let edit = try #require(try sync.applyRemote(.replacing(1..<1, with: "x", in: 2)))
            // The user typed the same `x` at the same place first: the edit is stale.
            _ = try sync.didChange(version: 4, changes: [(LSPRange(start: .init(line: 0, character: 1), end: .init(line: 0, character: 1)), "x")])
            let answer = try sync.applyEditResponse(id: edit.id, applied: !traits.answersTruthfully)
            if traits.answersTruthfully {
                #expect(answer.local != nil && sync.document.description == "axxb")
            } else {
                #expect(answer.local == nil && sync.document.description == "axb", "held: the seal's change may follow")
                let next = try sync.didChange(version: 5, changes: [(LSPRange(start: .init(line: 0, character: 2), end: .init(line: 0, character: 2)), "y")])
                #expect(next.local != nil && next.send != nil)
                #expect(sync.document.description == "axxyb" || sync.document.description == "axyxb")
            }
        }
    }
}

/// One editor, its bridge, and a remote author editing the shared document.
struct BridgeScenario {
    let kind: EditorModel.Kind
    let seed: UInt64

    enum Failure: Error, CustomStringConvertible {
        case invariant(String), loop(String), tokens(String)
        var description: String {
            switch self {
            case let .invariant(s): "invariant broken: \(s)"
            case let .loop(s): "no quiet after the drain: \(s)"
            case let .tokens(s): "not exactly once: \(s)"
            }
        }
    }

    func run() throws {
        var rng = SeededRandom(seed: seed &* 0x9E37_79B9 &+ UInt64(EditorModel.Kind.allCases.firstIndex(of: kind)!))
        let pieces = [" ", "é", "e\u{301}", "😀", "ab", "\n", "\r\n", "\r", "  "]
        let initial = (0..<rng.int(0...10)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        let opened = rng.int(0...4) == 0 ? initial + "ab stale" : initial
        let encoding = [PositionEncoding.utf16, .utf8, .utf32].randomElement(using: &rng)!
        var editor = EditorModel(kind: kind, text: opened, encoding: encoding)
        var sync = EditorSync(editorText: opened, version: editor.version, documentText: initial, encoding: encoding, traits: kind.traits)
        var tokens = Tokens()
        if let first = sync.initialEdit() { editor.inbox.append(first) }

        func read() throws {
            guard let report = editor.nextReport() else { return }
            let reaction: EditorSync.Reaction
            switch report {
            case let .didChange(version, changes):
                reaction = try sync.didChange(version: version, changes: changes.map { ($0.range, $0.text) })
            case let .answer(id, applied):
                reaction = try sync.applyEditResponse(id: id, applied: applied)
            }
            if let send = reaction.send { editor.inbox.append(send) }
        }
        func typeNext() { editor.typeNextKey(rng: &rng) }
        let trace = ProcessInfo.processInfo.environment["MESH_LSP_TRACE"] != nil
        func check(_ label: String) throws {
            if trace { print("\(label): editor v\(editor.version) \(String(reflecting: editor.text.description)) typing \(String(describing: editor.typing)) | bridge v\(sync.editorVersion) \(String(reflecting: sync.editor.description)) doc \(String(reflecting: sync.document.description)) | outbox \(editor.outbox) inbox \(editor.inbox)") }
            var expected = sync.editor
            try sync.pending.apply(to: &expected)
            guard expected == sync.document else { throw Failure.invariant("\(label): pending(editor) != document") }
        }

        // Neovim reports a change as the smallest difference of the changed lines, so typing
        // next to equal text is reported rotated ("7><n1t" for `<n1t7>` typed before `<n1t6>`).
        // Both readings give the same text, but a concurrent deletion of that neighbour keeps
        // the rotated one: a limit of what Neovim reports (docs/architecture.md). Its scenarios
        // insert only, as the issue's test does.
        let deletes = !kind.isNeovim
        // An unversioned edit that raced with typing can land off its place until the bridge
        // moves it back (docs/architecture.md, "Without versions"). What the user does to the
        // misplaced text in that moment, and where a misplaced deletion moved their cursor,
        // is beyond what any bridge can keep: the typist of that kind waits while the editor
        // shows a misplaced edit, and the remote author only inserts, never between a `\r`
        // and a `\n` (an edit widened over the line break deletes it and puts it back, and
        // misplaced, such a deletion could swallow the text left of the typist's cursor).
        let remoteDeletes = deletes && kind.traits.versionedEdits
        func userWaits() -> Bool {
            guard editor.showsMisplacedEdit else { return false }
            if editor.isQuiet, sync.isInStep {
                editor.caughtUp()
                return false
            }
            return true
        }
        let steps = rng.int(10...120)
        for step in 0..<steps {
            var action = rng.int(0...15)
            // Nobody types into the outdated text the editor opened before the session's text
            // replaces it (typing there collapses onto the end of the replacement).
            if action < 6, editor.text.description.contains("stale") { action = 9 }
            if action < 6, userWaits() { action = editor.outbox.isEmpty ? 9 : 12 }
            if trace { print("action \(action)") }
            switch action {
            case 0, 1:
                guard editor.typing == nil, let at = Tokens.boundaries(in: editor.text).randomElement(using: &rng) else { break }
                editor.userEdit(at..<at, tokens.make("u", rng: &rng), rng: &rng)
            case 2:
                guard editor.typing == nil, let at = Tokens.boundaries(in: editor.text).randomElement(using: &rng) else { break }
                // The first key at once: a cursor waiting after a `\r` could end up between it
                // and a `\n`, where no editor puts one.
                editor.typing = (at, Substring(tokens.make("u", plain: true, rng: &rng)))
                typeNext()
            case 3, 4:
                typeNext()
            case 5:
                guard deletes, editor.typing == nil, let victim = Tokens.complete(in: editor.text).randomElement(using: &rng) else { break }
                tokens.markDeleted(victim.token)
                editor.userEdit(victim.range, "", rng: &rng)
            case 6, 7:
                let splitCRLF = rng.int(0...3) == 0 && kind.traits.versionedEdits
                guard let at = Tokens.boundaries(in: sync.document, splitCRLF: splitCRLF).randomElement(using: &rng) else { break }
                let token = tokens.make("r", rng: &rng)
                if let send = try sync.applyRemote(.replacing(at..<at, with: token, in: sync.document.count)) { editor.inbox.append(send) }
            case 8:
                guard remoteDeletes, let victim = Tokens.complete(in: sync.document).randomElement(using: &rng) else { break }
                tokens.markDeleted(victim.token)
                let op = TextOperation.replacing(victim.range, with: "", in: sync.document.count)
                if let send = try sync.applyRemote(op) { editor.inbox.append(send) }
            case 9, 10:
                editor.handleApplyEdit(rng: &rng)
            case 11:
                editor.flush()
            default:
                try read()
            }
            try check("step \(step)")
        }
        var waited = 0
        while editor.typing != nil {
            guard userWaits() else { typeNext(); continue }
            waited += 1
            guard waited < 1_000 else { throw Failure.loop("\(kind): the editor kept showing a misplaced edit") }
            editor.handleApplyEdit(rng: &rng)
            editor.flush()
            while !editor.outbox.isEmpty { try read() }
        }
        // Drain: nobody types; the editor answers, its timers fire, the bridge reads.
        var rounds = 0
        while !(editor.isQuiet && sync.isInStep) {
            rounds += 1
            guard rounds < 1_000 else {
                throw Failure.loop("\(kind): editor v\(editor.version) \(String(reflecting: editor.text.description)), bridge v\(sync.editorVersion) \(String(reflecting: sync.editor.description)), inbox \(editor.inbox)")
            }
            editor.handleApplyEdit(rng: &rng)
            editor.flush()
            while !editor.outbox.isEmpty { try read() }
            try check("drain \(rounds)")
        }
        guard editor.text == sync.document, sync.editor == sync.document else {
            throw Failure.invariant("editor \(String(reflecting: editor.text.description)), bridge \(String(reflecting: sync.editor.description)), document \(String(reflecting: sync.document.description))")
        }
        if let problem = tokens.violation(in: editor.text.description, initial: initial) {
            throw Failure.tokens("\(problem) in \(String(reflecting: editor.text.description))")
        }
    }
}
