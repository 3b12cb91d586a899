import Foundation
import MeshOT
import MeshProtocol
import Testing
@testable import MeshLSP
import MeshTestSupport

/// Three editors that behave like real ones — VS Code (answers `applied: false` for a stale
/// version, sends `didChange` at once) and Neovim (ignores a stale edit but answers `applied:
/// true`, debounces and merges `didChange`s, sometimes rewrites an edit as whole lines) — type
/// concurrently with emoji and CRLF through their bridges and one server. Afterwards every
/// editor, bridge and the server hold the same text: nothing lost, doubled or looping.
@Suite struct ScriptedEditorTests {
    enum Flavor: CaseIterable { case vscode, neovim }

    struct Change { var range: LSPRange?; var text: String }

    /// The editor side: its buffer, version and the quirks of its LSP client.
    struct FakeEditor {
        var flavor: Flavor
        var text: TextBuffer
        var version = 1
        var debounced: [Change] = []
        var toBridge: [Message] = []          // didChange / applyEdit responses, in order
        var inbox: [EditorSync.Outgoing] = [] // applyEdit requests from the bridge

        enum Message { case didChange(version: Int, changes: [Change]), response(id: Int, applied: Bool) }

        mutating func emit(_ changes: [Change]) {
            if flavor == .vscode { toBridge.append(.didChange(version: version, changes: changes)) } else { debounced += changes }
        }

        mutating func flush() {
            guard !debounced.isEmpty else { return }
            toBridge.append(.didChange(version: version, changes: debounced))
            debounced.removeAll()
        }

        /// Applies a change given by offsets, reporting it like the editor would.
        mutating func change(_ range: Range<Int>, _ newText: String, rng: inout SeededRandom, reportAsLines: Bool) {
            // LSP positions cannot fall between `\r` and `\n`: an editor reports such an edit
            // widened to the whole line break, as the bridge's own edits are.
            var range = range, newText = newText
            if range.lowerBound > 0, text.splitsLineBreak(at: range.lowerBound) {
                range = (range.lowerBound - 1)..<range.upperBound
                newText = "\r" + newText
            }
            if range.upperBound < text.count, text.splitsLineBreak(at: range.upperBound) {
                range = range.lowerBound..<(range.upperBound + 1)
                newText += "\n"
            }
            var reported = Change(range: LSPRange(start: text.position(at: range.lowerBound, encoding: .utf16),
                                                  end: text.position(at: range.upperBound, encoding: .utf16)), text: newText)
            if reportAsLines {
                // Whole lines: from the start of the first line to the start of the line after.
                let startLine = text.position(at: range.lowerBound, encoding: .utf16).line
                let endLine = text.position(at: range.upperBound, encoding: .utf16).line + 1
                let from = text.lineStartOffset(startLine)
                let to = endLine < text.lineCount ? text.lineStartOffset(endLine) : text.count
                var after = text
                after.replace(range, with: newText)
                let newTo = to - range.count + newText.unicodeScalars.count
                reported = Change(range: LSPRange(start: text.position(at: from, encoding: .utf16), end: text.position(at: to, encoding: .utf16)),
                                  text: after.text(in: from..<newTo))
            }
            text.replace(range, with: newText)
            version += 1
            emit([reported])
        }

        mutating func handleApplyEdit(_ request: EditorSync.Outgoing, rng: inout SeededRandom) {
            guard request.version == version else {
                toBridge.append(.response(id: request.id, applied: flavor == .neovim))   // Neovim: "applied" but ignored
                return
            }
            // Apply from the last edit to the first so earlier ranges stay valid.
            let offsets = request.edits.map { (text.offset(at: $0.range.start, encoding: .utf16), text.offset(at: $0.range.end, encoding: .utf16), $0.newText) }
            var changes: [Change] = []
            for (start, end, newText) in offsets.reversed() {
                changes.append(Change(range: LSPRange(start: text.position(at: start, encoding: .utf16), end: text.position(at: end, encoding: .utf16)), text: newText))
                text.replace(start..<end, with: newText)
            }
            version += 1
            if flavor == .vscode {
                toBridge.append(.didChange(version: version, changes: changes))
                toBridge.append(.response(id: request.id, applied: true))
            } else {
                toBridge.append(.response(id: request.id, applied: true))
                debounced += changes
            }
        }
    }

    struct Site {
        var editor: FakeEditor
        var sync: EditorSync
        var client: OTClient
        var up: [OutgoingOperation] = []
        var down: [(op: TextOperation, rev: Int, ack: String?)] = []
    }

    @Test func threeEditorsConvergeUnderRandomRaces() throws {
        let scenarios = Int(ProcessInfo.processInfo.environment["MESH_LSP_SCENARIOS"] ?? "") ?? 300
        let only = ProcessInfo.processInfo.environment["MESH_LSP_SEED"].flatMap(UInt64.init)
        for seed in only.map({ [$0] }) ?? Array(0..<UInt64(scenarios)) {
            do { try runScenario(seed: seed) } catch { Issue.record("seed \(seed): \(error)") }
        }
    }

    func runScenario(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let initial = "fn main() {\r\n  😀 x\n}\r"
        var server = OTDocument(text: TextBuffer(initial), historyLimit: 100_000)
        var sites: [Site] = (0..<3).map { i in
            let flavor: Flavor = i == 0 ? .vscode : (i == 1 ? .neovim : (Bool.random(using: &rng) ? .vscode : .neovim))
            let opened = i == 2 ? initial + "stale disk text" : initial   // one editor opens an outdated file
            return Site(editor: FakeEditor(flavor: flavor, text: TextBuffer(opened)),
                        sync: EditorSync(editorText: opened, version: 1, documentText: initial, encoding: .utf16),
                        client: OTClient(revision: 0, clientID: "s\(i)"))
        }
        for i in sites.indices {
            if let out = sites[i].sync.initialEdit() { sites[i].editor.inbox.append(out) }
        }
        let alphabet = ["a", "é", "e\u{301}", "中", "😀", "\r\n", "\n", " "]
        func step(_ i: Int, _ action: Int) throws {
            switch action {
            case 0..<4: // the user types (and sometimes the editor reports it as whole lines)
                let length = sites[i].editor.text.count
                let start = Int.random(in: 0...length, using: &rng)
                let end = min(length, start + Int.random(in: 0...2, using: &rng))
                let inserted = (0..<Int.random(in: 0...2, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
                guard start != end || !inserted.isEmpty else { return }
                let asLines = sites[i].editor.flavor == .neovim && Int.random(in: 0..<4, using: &rng) == 0
                sites[i].editor.change(start..<end, inserted, rng: &rng, reportAsLines: asLines)
            case 4..<6: // the editor handles an applyEdit
                guard !sites[i].editor.inbox.isEmpty else { return }
                let request = sites[i].editor.inbox.removeFirst()
                sites[i].editor.handleApplyEdit(request, rng: &rng)
            case 6: sites[i].editor.flush()
            case 7..<10: // the bridge reads the editor
                guard !sites[i].editor.toBridge.isEmpty else { return }
                switch sites[i].editor.toBridge.removeFirst() {
                case let .didChange(version, changes):
                    let (local, send) = try sites[i].sync.didChange(version: version, changes: changes.map { ($0.range, $0.text) })
                    if let send { sites[i].editor.inbox.append(send) }
                    if let local, let out = try sites[i].client.applyLocal(local) { sites[i].up.append(out) }
                case let .response(id, applied):
                    if let send = sites[i].sync.applyEditResponse(id: id, applied: applied) { sites[i].editor.inbox.append(send) }
                }
            case 10..<12: // the server receives
                guard !sites[i].up.isEmpty else { return }
                let message = sites[i].up.removeFirst()
                let receipt = try server.receive(message.operation, baseRevision: message.baseRevision, opId: message.opId)
                for j in sites.indices {
                    sites[j].down.append((receipt.committed.operation, receipt.committed.revision, j == i ? message.opId : nil))
                }
            default: // the bridge receives from the server
                guard !sites[i].down.isEmpty else { return }
                let (op, rev, ack) = sites[i].down.removeFirst()
                if let ack {
                    if let next = try sites[i].client.receiveAck(opId: ack, revision: rev) { sites[i].up.append(next) }
                } else {
                    let local = try sites[i].client.receiveRemote(op, revision: rev)
                    if let send = try sites[i].sync.applyRemote(local) { sites[i].editor.inbox.append(send) }
                }
            }
        }
        func check(_ label: String) throws {
            for (i, site) in sites.enumerated() {
                var expected = site.sync.editor
                try site.sync.pending.apply(to: &expected)
                if expected != site.sync.document { throw ScenarioError.invariant("\(label): site \(i): pending(editor) != document") }
                if site.editor.toBridge.isEmpty, site.editor.debounced.isEmpty, site.editor.text != site.sync.editor {
                    throw ScenarioError.invariant("\(label): site \(i) \(site.editor.flavor): editor \(String(reflecting: site.editor.text.description)) but bridge thinks \(String(reflecting: site.sync.editor.description))")
                }
            }
        }
        for n in 0..<Int.random(in: 30...120, using: &rng) {
            let i = Int.random(in: 0..<3, using: &rng), action = Int.random(in: 0..<14, using: &rng)
            try step(i, action)
            try check("step \(n) (site \(i), action \(action))")
        }
        // Drain: no more typing; deliver everything until nothing moves.
        var moved = true
        var rounds = 0
        while moved {
            rounds += 1
            if rounds > 9_995 {
                for (i, site) in sites.enumerated() {
                    print("round \(rounds) site \(i) \(site.editor.flavor) v\(site.editor.version) bridge v\(site.sync.editorVersion) inbox \(site.editor.inbox.map { "#\($0.id)@\($0.version) \($0.edits)" }) toBridge \(site.editor.toBridge) up \(site.up.count) down \(site.down.count) editor=\(site.editor.text.count) doc=\(site.sync.document.count) pending=\(site.sync.pending) server=\(server.revision)")
                }
            }
            guard rounds < 10_000 else { throw ScenarioError.loop }
            moved = false
            for i in sites.indices {
                let before = (sites[i].editor.inbox.count, sites[i].editor.toBridge.count, sites[i].editor.debounced.count, sites[i].up.count, sites[i].down.count)
                if !sites[i].editor.inbox.isEmpty { try step(i, 4) }
                sites[i].editor.flush()
                if !sites[i].editor.toBridge.isEmpty { try step(i, 7) }
                if !sites[i].up.isEmpty { try step(i, 10) }
                if !sites[i].down.isEmpty { try step(i, 13) }
                try check("drain round \(rounds)")
                let after = (sites[i].editor.inbox.count, sites[i].editor.toBridge.count, sites[i].editor.debounced.count, sites[i].up.count, sites[i].down.count)
                if before != after || !sites[i].editor.inbox.isEmpty || !sites[i].up.isEmpty || !sites[i].down.isEmpty || !sites[i].editor.toBridge.isEmpty { moved = true }
            }
        }
        for (i, site) in sites.enumerated() {
            #expect(site.sync.document == server.text, "seed \(seed): bridge \(i) diverged from the server")
            #expect(site.editor.text == server.text, "seed \(seed): editor \(i) (\(site.editor.flavor)) shows \(String(reflecting: site.editor.text.description)), server \(String(reflecting: server.text.description))")
            #expect(site.sync.isInStep, "seed \(seed): editor \(i) still has unconfirmed edits")
            #expect(site.client.state == .synchronized, "seed \(seed): bridge \(i) still has unacknowledged ops")
        }
    }

    enum ScenarioError: Error { case loop, invariant(String) }
}
