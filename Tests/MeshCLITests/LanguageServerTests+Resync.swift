import Foundation
import Logging
import MeshClient
import MeshLSP
import MeshProtocol
import MeshStore
import MeshTestSupport
import Testing

/// A server that asks `mesh lsp` to reopen a document (`resync`) after its database connection
/// broke must not cost the user the edits it had not acknowledged yet.
extension LanguageServerTests {
    /// Ann and Bob type while the server's PostgreSQL connections are cut again and again: the
    /// commits that fail make the server reload the document and tell its subscribers to
    /// reopen it. Every key either of them typed ends up in both editors and the session
    /// exactly once.
    @Test func keystrokesSurviveTheServerLosingItsDatabaseConnections() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let database = try await createPostgresTestDatabase()
        let initial = "package main\n\nfunc main() {\n}\n"
        let world = try await shareWorld(file: "main.go", contents: initial, serverArguments: ["--database-url", database])
        defer { world.server.stop() }
        let (a, servingA) = try await openInProcess("ann", home: world.homeA, folder: world.dirA, file: "main.go")
        defer { a.finish() }
        let (b, servingB) = try await openInProcess("bob", home: world.homeB, folder: world.dirB, file: "main.go")
        defer { b.finish() }
        try await eventually("both files are bridged") { a.currentPresence != nil && b.currentPresence != nil }

        let seed = UInt64(ProcessInfo.processInfo.environment["MESH_LSP_E2E_SEED"] ?? "") ?? UInt64.random(in: 0..<1_000_000)
        let annKeys = Self.uniqueKeys(from: 0x4E00, count: 60), bobKeys = Self.uniqueKeys(from: 0x3400, count: 60)
        // Slow typing (pauses up to 40 ms), so that the cuts land between and during commits.
        let cuts = Task {
            for _ in 0..<6 {
                try? await Task.sleep(for: .milliseconds(350))
                try? await runPSQL(database, """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """)
            }
        }
        async let annTyping: Void = Self.typeKeys(annKeys, into: a, seed: seed, burst: 1, pause: 40)
        await Self.typeKeys(bobKeys, into: b, seed: seed &+ 1, burst: 1, pause: 40)
        await annTyping
        await cuts.value
        let agreed = await eventually(timeout: .seconds(60)) {
            let text = a.currentText
            guard b.currentText == text else { return false }
            return await world.textIfAny("main.go") == text
        }
        guard agreed else {
            // What each side holds, and what the server logged: enough to tell a stuck editor
            // from a stuck document.
            let server = await world.textIfAny("main.go")
            let log = world.server.log.split(separator: "\n").suffix(60).joined(separator: "\n")
            Issue.record("""
                both editors and the session do not agree after 60 s (seed \(seed))
                Ann: \(a.currentText.debugDescription)
                Bob: \(b.currentText.debugDescription)
                server: \(server.debugDescription)
                \(a.transcript)
                \(b.transcript)
                server log (last 60 lines):
                \(log)
                """)
            return
        }
        for (who, text) in [("Ann", a.currentText), ("Bob", b.currentText)] {
            let problem = Self.keystrokeProblem(in: text, keys: annKeys + bobKeys, initial: initial)
            #expect(problem == nil, "\(who)'s editor, seed \(seed): \(problem ?? "")\n\(a.transcript)\n\(b.transcript)")
        }
        a.finish()
        b.finish()
        #expect(await Self.exitCode(of: servingA, within: .seconds(20)) != nil)
        #expect(await Self.exitCode(of: servingB, within: .seconds(20)) != nil)
    }
}

extension LanguageServerTests {
    /// The server cannot load a document (its snapshots table is away, as its database was a
    /// moment in the test above) and refuses the open with `internal`: `mesh lsp` asks again,
    /// after a growing delay, and the document is followed as soon as the server can open it,
    /// instead of staying unfollowed, its edits unsent, until the editor reopens it.
    @Test func anOpenRefusedForAPassingReasonIsAskedAgain() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let database = try await createPostgresTestDatabase()
        let world = try await shareWorld(file: "main.go", contents: "package main\n", serverArguments: ["--database-url", database])
        defer { world.server.stop() }
        // A document the server has not loaded (created through the API, not by an editor): its
        // open has to read the snapshot.
        _ = try await world.api.createDocument(session: world.session.id, path: "other.go", text: "package other\n")
        try await runPSQL(database, "ALTER TABLE snapshots RENAME TO snapshots_away")
        let (a, serving) = try await openInProcess("ann", home: world.homeA, folder: world.dirA, file: "main.go")
        defer { a.finish() }
        let other = world.dirA.appendingPathComponent("other.go")
        let refused = await eventually(timeout: .seconds(15)) {
            a.loggedMessages.filter { $0.contains("(other.go); opening it again in") }.count >= 2
        }
        #expect(refused, "the open was not refused, and asked again: \(a.transcript)")
        #expect(!FileManager.default.fileExists(atPath: other.path), "followed while the server could not open it")
        try await runPSQL(database, "ALTER TABLE snapshots_away RENAME TO snapshots")
        try await eventually("other.go is followed, so written to Ann's folder, once the server can open it", timeout: .seconds(20)) {
            (try? String(contentsOf: other, encoding: .utf8)) == "package other\n"
        }
        a.finish()
        #expect(await Self.exitCode(of: serving, within: .seconds(20)) != nil)
    }
}

extension LanguageServerTests {
    /// A change the server refuses for good (here: the document would pass
    /// `--max-document-bytes`) must not hold up the document: its edit never being acknowledged,
    /// nothing typed after it would reach anyone. Ann's editor goes back to the session's text,
    /// the refused text is kept in `.mesh/conflicts`, and what she types next reaches Bob.
    @Test func aChangeTheServerRefusesDoesNotStopTheDocument() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "0123456789\n", serverArguments: ["--max-document-bytes", "64"])
        defer { world.server.stop() }
        let (a, b) = try await bothEditing(world, file: "notes.txt")
        defer { a.close(); b.close() }

        try await pasteGoesBack(String(repeating: "x", count: 80), in: a, world: world)   // 91 bytes: over the limit
        try await typingGoesOn(from: a, to: b, world: world)
    }

    /// Ann pastes `paste` at the start of notes.txt ("0123456789\n"), which the server will not
    /// take: her editor goes back to the session's text, and the text that held it is kept.
    func pasteGoesBack(_ paste: String, in a: EditorProcess, world: World) async throws {
        a.edit(0..<0, paste)
        try await eventually("Ann's editor goes back to the session's text") { a.currentText == "0123456789\n" }
        try await eventually("the refused text is kept") { keptCopy(of: "notes.txt", in: world.dirA, is: paste + "0123456789\n") }
    }

    /// What Ann types next reaches Bob's editor and the session: nothing is held up.
    func typingGoesOn(from a: EditorProcess, to b: EditorProcess, world: World) async throws {
        a.edit(0..<0, "ok ")
        try await eventually("Bob gets what Ann typed next") { b.currentText == "ok 0123456789\n" }
        #expect(try await world.serverText("notes.txt") == "ok 0123456789\n")
    }
}

extension LanguageServerTests {
    /// The server closes a socket that sends a message over `--max-frame-bytes`, and a client
    /// that sent it again on every reconnect would never get anything through again. `mesh lsp`
    /// sends none: a file too large to create is not shared (the user is told), a paste too
    /// large goes back to the session's text (kept in `.mesh/conflicts`), and typing goes on.
    @Test func nothingLargerThanTheServerTakesIsEverSent() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "0123456789\n", serverArguments: ["--max-frame-bytes", "65536"])
        defer { world.server.stop() }
        let (a, b) = try await bothEditing(world, file: "notes.txt")
        defer { a.close(); b.close() }

        // Ann opens a new file of 100 KB.
        let big = String(repeating: "0123456789abcdef\n", count: 6_000)
        let bigURL = world.dirA.appendingPathComponent("big.txt")
        try big.write(to: bigURL, atomically: true, encoding: .utf8)
        a.notify("textDocument/didOpen", ["textDocument": ["uri": .string(bigURL.absoluteString), "languageId": "plaintext",
                                                           "version": 1, "text": .string(big)]])
        try await eventually("Ann is told big.txt is not shared") { a.shownMessages.contains { $0.contains("big.txt is larger") } }
        #expect(await world.textIfAny("big.txt") == nil)
        // She cuts it down and saves it: now it is shared.
        a.notify("textDocument/didChange", ["textDocument": ["uri": .string(bigURL.absoluteString), "version": 2],
                                            "contentChanges": [["text": "small now\n"]]])
        try "small now\n".write(to: bigURL, atomically: true, encoding: .utf8)
        try await eventually("big.txt is shared once it fits") { await world.textIfAny("big.txt") == "small now\n" }
        // A paste of 100 KB into the shared file.
        try await pasteGoesBack(big, in: a, world: world)
        // A chat message and an annotation of 100 KB: refused with a clear error, not sent.
        for (command, arguments) in [("mesh.chat", [JSONValue.string(big)]),
                                     ("mesh.annotate", [.string(a.uri), JSONValue.encode(LSPRange(start: a.position(at: 0), end: a.position(at: 4))), .string(big)])] {
            let answer = try await a.request("workspace/executeCommand", ["command": .string(command), "arguments": .array(arguments)])
            guard case let .failure(error) = answer else {
                Issue.record("\(command) of 100 KB was not refused: \(answer)")
                continue
            }
            #expect(error.message.contains("larger than the server takes"), "\(command): \(error.message)")
        }
        try await typingGoesOn(from: a, to: b, world: world)
        #expect(!a.loggedMessages.contains { $0.contains("reconnecting") }, "the connection was closed: \(a.transcript)")
    }
}

extension LanguageServerTests {
    /// `mesh serve --max-frame-bytes` under 1 KiB is taken as 1 KiB, the floor clients hold a
    /// `welcome`'s limit to: the server never closes a socket for a message the client was
    /// told it may send (with 10 bytes, not even `hello` got through).
    @Test func aFrameLimitUnder1KiBIsTakenAs1KiB() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "one\n", serverArguments: ["--max-frame-bytes", "10"])
        defer { world.server.stop() }
        let client = try await CollaborationClient.connect(server: world.server.url, accessToken: try await world.api.freshAccessToken(),
                                                           session: world.session.id.uuidString)
        var welcome: ServerMessage.Welcome?
        for await message in client.messages {
            if case let .welcome(w) = message { welcome = w }
            break
        }
        await client.close()
        #expect(welcome?.maxFrameBytes == 1 << 10)
    }
}

extension LanguageServerTests {
    /// While Ann's `mesh lsp` is away (the server down), she types, and the document she types
    /// in is renamed. When she is back, the session no longer has that path: her edits cannot
    /// go in, so they are kept in `.mesh/conflicts` (and she is told), the old path is followed
    /// no more, and the renamed document is followed in its stead.
    @Test func aDocumentRenamedWhileAnEditorWasAwayLosesNothing() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let port = try LoopbackListener.freePort()
        let world = try await shareWorld(file: "notes.txt", contents: "one\n", otherFiles: ["todo.txt": "two\n"],
                                         serverArguments: ["--port", "\(port)"])
        defer { world.server.stop() }
        let a = try await annEditing(world, file: "notes.txt")
        defer { a.close() }
        try await eventually("Ann's file is bridged") { a.currentPresence != nil }

        let again = try await whileAnnIsAway(world, a, port: port) { store in
            let record = try #require(try await store.documents.find(sessionID: world.session.id, path: "notes.txt"))
            try await store.documents.rename(id: record.id, to: "renamed.txt")
        }
        defer { again.stop() }

        try await eventually("Ann's unconfirmed text is kept", timeout: .seconds(30)) { keptCopy(of: "notes.txt", in: world.dirA, is: "away one\n") }
        try await eventually("the renamed document is followed, so written to Ann's folder") {
            disk(world.dirA.appendingPathComponent("renamed.txt")) == "one\n"
        }
        #expect(a.shownMessages.contains { $0.contains(".mesh/conflicts/notes.txt") }, "\(a.transcript)")
    }
}

extension LanguageServerTests {
    /// While Ann is away, the document she types in is deleted and another created under its
    /// path, of the same length, so that her revision and her edit would fit it. Her revision
    /// is one of the old document (`open.knownId`): she gets the new one's text, and her typing
    /// the server never confirmed is kept aside, not merged into a document she never saw.
    @Test func aDocumentDeletedAndCreatedAgainWhileAwayIsNotTakenForTheOld() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let port = try LoopbackListener.freePort()
        let world = try await shareWorld(file: "notes.txt", contents: "one\n", serverArguments: ["--port", "\(port)"])
        defer { world.server.stop() }
        let a = try await annEditing(world, file: "notes.txt")
        defer { a.close() }
        try await eventually("Ann's file is bridged") { a.currentPresence != nil }

        let again = try await whileAnnIsAway(world, a, port: port) { store in
            let old = try #require(try await store.documents.find(sessionID: world.session.id, path: "notes.txt"))
            _ = try await store.documents.delete(id: old.id)
            try await store.documents.create(DocumentRecord(sessionID: world.session.id, path: "notes.txt", size: 4), text: "two\n")
        }
        defer { again.stop() }

        try await eventually("Ann's editor has the new document's text", timeout: .seconds(30)) { a.currentText == "two\n" }
        try await eventually("Ann's unconfirmed text is kept") { keptCopy(of: "notes.txt", in: world.dirA, is: "away one\n") }
        #expect(await world.textIfAny("notes.txt") == "two\n")
    }
}

extension LanguageServerTests {
    /// A folder whose session the editor joined stays in it while the connection is made again
    /// (the server down): `mesh.share` and `mesh.join` are refused and no code action offers
    /// them, or the pending reconnect would join this session's documents to the new one's.
    @Test func noShareOrJoinWhileReconnectingToAJoinedSession() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "one\n")
        let a = try await annEditing(world, file: "notes.txt")
        defer { a.close() }
        try await eventually("Ann's file is bridged") { a.currentPresence != nil }
        world.server.stop()
        _ = await world.server.stopped()
        try await eventually("Ann's mesh lsp is reconnecting") { a.loggedMessages.contains { $0.contains("reconnecting in") } }
        for (command, arguments) in [("mesh.share", [JSONValue]()), ("mesh.join", ["abcdefgh"])] {
            let result = try await a.request("workspace/executeCommand", ["command": .string(command), "arguments": .array(arguments)])
            guard case let .failure(error) = result else {
                Issue.record("\(command) was not refused: \(result)")
                continue
            }
            #expect(error.message.contains("reconnecting"), "\(command): \(error)")
        }
        let actions = try await a.request("textDocument/codeAction", [
            "textDocument": ["uri": .string(world.dirA.appendingPathComponent("notes.txt").absoluteString)],
            "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]],
            "context": ["diagnostics": []],
        ])
        #expect(try actions.get() == [], "a code action offered sharing the folder again")
    }
}

extension LanguageServerTests {
    /// The server's SQLite store, opened beside it (or while it is down) to change what no
    /// message would: `body` runs on it, then it is closed.
    func withDatabase(_ body: (Store) async throws -> Void) async throws {
        try await Store.withOpen(.sqlite(path: root.appendingPathComponent("data/mesh.sqlite").path), logger: Logger(label: "test"), body)
    }

    /// Ann types "away " at the start of her buffer while the server is down, `change` alters
    /// the database meanwhile (so she cannot be back before it), and the server starts again on
    /// `port`. Returns it; the caller stops it.
    func whileAnnIsAway(_ world: World, _ a: EditorProcess, port: Int, change: (Store) async throws -> Void) async throws -> MeshServerProcess {
        world.server.stop()
        _ = await world.server.stopped()
        a.edit(0..<0, "away ")   // the server is down: not acknowledged
        try await withDatabase(change)
        let again = MeshServerProcess(dataDirectory: root.appendingPathComponent("data"), extraArguments: ["--port", "\(port)"])
        try await again.start()
        return again
    }

    /// Whether `folder/.mesh/conflicts` holds a copy of `path` whose text is `text`.
    func keptCopy(of path: String, in folder: URL, is text: String) -> Bool {
        let conflicts = folder.appendingPathComponent(".mesh/conflicts")
        let copies = (try? FileManager.default.contentsOfDirectory(atPath: conflicts.path)) ?? []
        return copies.contains { name in
            name.hasPrefix(path + ".") && (try? String(contentsOf: conflicts.appendingPathComponent(name), encoding: .utf8)) == text
        }
    }
}
