import Foundation
import MeshClient
import MeshLSP
import MeshProtocol
import MeshStore
import MeshTestSupport
import Testing

/// A document two people create at the same path at once: the server keeps the first and opens
/// it for the second, whose own text must not vanish. Made deterministic here by creating the
/// first one straight in the database (no announcement), so that Ann's `mesh lsp` still asks to
/// create the path when her file appears.
extension LanguageServerTests {
    @Test func aFileSomeoneElseCreatedFirstKeepsOursAside() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "one\n")
        defer { world.server.stop() }
        let a = try await annEditing(world, file: "notes.txt")
        defer { a.close() }
        try await eventually("Ann's file is bridged") { a.currentPresence != nil }

        // Bob's documents, created a moment before Ann's.
        try await withDatabase { store in
            for (path, text) in [("new.txt", "theirs\n"), ("draft.txt", "their draft\n")] {
                try await store.documents.create(DocumentRecord(sessionID: world.session.id, path: path, size: text.utf8.count), text: text)
            }
        }

        // Ann's: a file a tool writes on her disk, and a new buffer she types in (not saved).
        try "mine\n".write(to: world.dirA.appendingPathComponent("new.txt"), atomically: true, encoding: .utf8)
        a.notify("textDocument/didOpen", ["textDocument": ["uri": .string(world.dirA.appendingPathComponent("draft.txt").absoluteString),
                                                          "languageId": "plaintext", "version": 1, "text": "my draft\n"]])

        try await eventually("Ann's file is kept aside", timeout: .seconds(20)) { keptCopy(of: "new.txt", in: world.dirA, is: "mine\n") }
        try await eventually("Ann's buffer is kept aside") { keptCopy(of: "draft.txt", in: world.dirA, is: "my draft\n") }
        try await eventually("Ann's disk has the session's text") { disk(world.dirA.appendingPathComponent("new.txt")) == "theirs\n" }
        #expect(await world.textIfAny("new.txt") == "theirs\n")
        #expect(a.shownMessages.contains { $0.contains(".mesh/conflicts/new.txt") && $0.contains("created it") }, "\(a.transcript)")
    }

    /// Two `mesh.share` at once (a double click on the code action): the second is refused while
    /// the first is starting its session, so the folder is in one session, not two.
    @Test func twoSharesAtOnceStartOneSession() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\n")
        defer { world.server.stop() }
        let home = root.appendingPathComponent("home-d")
        _ = try await mesh(["signup", "--email", "dee@example.test", "--name", "Dee", "--password-stdin", "--server", world.server.url],
                           home: home, stdin: "dee password 4\n")
        let folder = root.appendingPathComponent("dee")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("main.go")
        try "package main\n".write(to: file, atomically: true, encoding: .utf8)
        let d = try EditorProcess(name: "dee", home: home, logFile: root.appendingPathComponent("lsp-d.log"))
        defer { d.close() }
        try await d.start(root: folder, file: file, encodings: ["utf-16"])

        let share: JSONValue = ["command": "mesh.share", "arguments": []]
        async let first = d.request("workspace/executeCommand", share)
        let second = try await d.request("workspace/executeCommand", share)
        let answers = [try await first, second]
        let refused = answers.compactMap { answer -> String? in if case let .failure(error) = answer { error.message } else { nil } }
        // Refused while the first waits on the network, or (had it finished first) as in a session.
        #expect(refused.count == 1 && refused.allSatisfy { $0.contains("being shared") || $0.contains("already in a session") },
                "\(answers)\n\(d.transcript)")
        let api = MeshAPIClient(server: world.server.url, credentials: try CredentialStore(directory: home).load())
        #expect(try await api.sessions().count == 1)
    }

    /// Ann's editor has not applied Bob's edit yet (it is neither applied nor answered) when she
    /// types and closes the buffer: her typing is held until the edit settles, which it never
    /// will now. It reaches the session once, beside Bob's.
    @Test func typingJustBeforeABufferClosesIsNotLost() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\n")
        defer { world.server.stop() }
        let (a, b) = try await bothEditing(world, file: "notes.txt")
        defer { a.close(); b.close() }
        a.holdEdits = true
        b.edit(0..<0, "B")
        try await eventually("Bob's edit reached Ann's editor, unapplied") { a.heldEdits >= 1 }
        a.edit(5..<5, "X")   // "helloX\n" in Ann's editor
        a.notify("textDocument/didClose", ["textDocument": ["uri": .string(a.uri)]])
        try await eventually("the session has both, once each", timeout: .seconds(20)) {
            (await world.textIfAny("notes.txt")) == "BhelloX\n"
        }
        try await eventually("Bob's editor has Ann's typing") { b.currentText == "BhelloX\n" }
    }
}

extension LanguageServerTests {
    /// Ann's new buffer is created in the session as the connection drops, and the create lands
    /// only after her `mesh lsp` is back: the `welcome` does not list the file yet, so it sends
    /// the create again, with what she typed since, and the server answers with the document
    /// her first create made. That text is hers, not someone else's: what she typed since goes
    /// in as her edit (before, it was kept only in `.mesh/conflicts`, "someone else created it",
    /// and her buffer lost it).
    @Test func aCreateThatLandsAfterAReconnectKeepsTheTypingSinceIt() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let draft = root.appendingPathComponent("ann/draft.txt").absoluteString
        try await createLandingAfterReconnect(path: "draft.txt", firstText: "v0\n") { a in
            a.notify("textDocument/didOpen", ["textDocument": ["uri": .string(draft), "languageId": "plaintext", "version": 1, "text": "v0\n"]])
            // (A request answered after it: the open was taken, its create sent.)
            _ = try await a.request("textDocument/codeAction", ["textDocument": ["uri": .string(draft)],
                                                                "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]],
                                                                "context": ["diagnostics": []]])
            a.notify("textDocument/didChange", ["textDocument": ["uri": .string(draft), "version": 2], "contentChanges": [["text": "v0\nt1\n"]]])
        } then: { world in
            try await eventually("the session has what Ann typed", timeout: .seconds(30)) { await world.textIfAny("draft.txt") == "v0\nt1\n" }
        }
    }

    /// The same for a file a tool writes (no editor has it open), written again before the
    /// create lands: the second write goes in as a change on disk, not into `.mesh/conflicts`.
    @Test func aFileCreatedOnDiskThatLandsAfterAReconnectKeepsItsLaterChange() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("ann/tool.txt")
        try await createLandingAfterReconnect(path: "tool.txt", firstText: "v0\n") { a in
            try "v0\n".write(to: file, atomically: true, encoding: .utf8)
            try await eventually("the file is offered") { a.loggedMessages.contains { $0.contains("tool.txt was created on disk") } }
            try "v0\nt1\n".write(to: file, atomically: true, encoding: .utf8)
        } then: { world in
            try await eventually("the session has the tool's second write", timeout: .seconds(30)) { await world.textIfAny("tool.txt") == "v0\nt1\n" }
            #expect(disk(file) == "v0\nt1\n")
        }
    }

    /// A file a tool writes while the server has stopped answering, its create lost as the server
    /// dies: offered again once `mesh lsp` is back (before, it was shared only if written again).
    @Test func aFileCreatedOnDiskAsTheServerDiesIsOfferedAgain() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try await serverHangsAndComesBack { a, world in
            try "made while the server hung\n".write(to: world.dirA.appendingPathComponent("hung.txt"), atomically: true, encoding: .utf8)
            try await eventually("the file is offered") { a.loggedMessages.contains { $0.contains("hung.txt was created on disk") } }
        } then: { _, world in
            try await eventually("the file is in the session", timeout: .seconds(30)) { await world.textIfAny("hung.txt") == "made while the server hung\n" }
        }
    }

    /// A create lost as the server died, for a file deleted before `mesh lsp` was back: nothing
    /// is offered again, and when a peer later creates the same path with the same text (an
    /// empty `__init__.py`, say), that document is theirs. It is followed, never taken for the
    /// lost create (which would have deleted it, the file being gone from Ann's disk).
    @Test func aLostCreateOfAFileDeletedSinceIsNotMistakenForAPeersDocument() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("ann/__init__.py")
        try await serverHangsAndComesBack { a, _ in
            try "".write(to: file, atomically: true, encoding: .utf8)
            try await eventually("the file is offered") { a.loggedMessages.contains { $0.contains("__init__.py was created on disk") } }
        } whileDown: {
            try FileManager.default.removeItem(at: file)
        } then: { a, world in
            try await eventually("Ann is back", timeout: .seconds(30)) { a.shownMessages.contains { $0.contains("reconnected") } }
            _ = try await world.api.createDocument(session: world.session.id, path: "__init__.py", text: "")
            try await eventually("Ann's disk has the peer's file") { disk(file) == "" }
            // Long enough for a deletion by Ann's mesh lsp to reach the server: her typing does.
            a.edit(0..<0, "x")
            try await eventually("Ann's typing reached the session") { await world.textIfAny("notes.txt") == "xone\n" }
            #expect(await world.textIfAny("__init__.py") == "", "the peer's document was deleted")
        }
    }

    /// Ann's `mesh lsp` asks to create `path` (`create`, with `firstText`) as the server stops
    /// answering; the server comes back on PostgreSQL with its `snapshots` table renamed away, so
    /// that the create sent again is refused (and retried) until the first create's document is
    /// written straight into the database, as if it had landed late. `then` checks the
    /// session's text; after it, Ann was not told someone else created the path, and nothing
    /// was kept aside (a copy would have been kept before her edit was sent).
    func createLandingAfterReconnect(path: String, firstText: String, create: (EditorProcess) async throws -> Void,
                                     then: (World) async throws -> Void) async throws {
        let database = try await createPostgresTestDatabase()
        try await serverHangsAndComesBack(serverArguments: ["--database-url", database]) { a, _ in
            try await create(a)
        } whileDown: {
            try await runPSQL(database, "ALTER TABLE snapshots RENAME TO snapshots_away")
        } then: { a, world in
            try await eventually("the create sent again is refused", timeout: .seconds(30)) {
                a.loggedMessages.contains { $0.contains("(\(path)); opening it again in") }
            }
            let id = UUID().uuidString, session = world.session.id.uuidString
            try await runPSQL(database, """
                ALTER TABLE snapshots_away RENAME TO snapshots;
                INSERT INTO documents (id, session_id, path, revision, size, created_at, updated_at)
                    VALUES ('\(id)', '\(session)', '\(path)', 0, \(firstText.utf8.count), 0, 0);
                INSERT INTO snapshots (document_id, revision, text) VALUES ('\(id)', 0, '\(firstText)');
                """)
            try await then(world)
            #expect(!a.shownMessages.contains { $0.contains("created it") }, "\(a.transcript)")
            #expect(!FileManager.default.fileExists(atPath: world.dirA.appendingPathComponent(".mesh/conflicts").path))
        }
    }

    /// Ann edits `notes.txt` in a shared folder, bridged and watched. The server stops answering
    /// (SIGSTOP) while `whileHung` runs, so that what Ann's `mesh lsp` sends meanwhile is never
    /// answered; it is killed, `whileDown` runs once Ann's `mesh lsp` is reconnecting, and it
    /// starts again on the same port and database (`serverArguments` on both). `then` runs with
    /// Ann back; everything is stopped after.
    func serverHangsAndComesBack(serverArguments: [String] = [], whileHung: (EditorProcess, World) async throws -> Void,
                                 whileDown: () async throws -> Void = {},
                                 then: (EditorProcess, World) async throws -> Void) async throws {
        let arguments = serverArguments + ["--port", "\(try LoopbackListener.freePort())"]
        let world = try await shareWorld(file: "notes.txt", contents: "one\n", serverArguments: arguments)
        defer { world.server.stop() }
        let a = try await annEditing(world, file: "notes.txt")
        defer { a.close() }
        try await eventually("Ann's folder is bridged and watched") { a.currentPresence != nil && watching(a) }
        kill(world.server.process.processIdentifier, SIGSTOP)
        try await whileHung(a, world)
        await world.server.kill9()
        try await eventually("Ann's mesh lsp is reconnecting") { a.loggedMessages.contains { $0.contains("reconnecting in") } }
        try await whileDown()
        let again = MeshServerProcess(dataDirectory: root.appendingPathComponent("data"), extraArguments: arguments)
        defer { again.stop() }
        try await again.start()
        try await then(a, world)
    }
}
