import Foundation
import MeshClient
import MeshProtocol
import MeshTestSupport
import Testing

/// `mesh.share` from an editor with files open and typed in: the session starts from what is on
/// disk, and what the editor holds beyond it goes in once, as the user's edit.
extension LanguageServerTests {
    /// Cy opens two files of an unshared folder and types in both; she saves one, not the
    /// other, then shares the folder from the editor. Each file's session text is her editor's
    /// text, with what she typed exactly once.
    @Test func sharingFromTheEditorKeepsWhatWasTypedOnce() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\n")
        defer { world.server.stop() }
        let (homeC, dir) = try await signUpCy(on: world)
        let saved = dir.appendingPathComponent("saved.txt"), unsaved = dir.appendingPathComponent("unsaved.txt")
        try "one\n".write(to: saved, atomically: true, encoding: .utf8)
        try "two\n".write(to: unsaved, atomically: true, encoding: .utf8)
        let c = try EditorProcess(name: "cy", home: homeC, logFile: root.appendingPathComponent("lsp-cy.log"))
        defer { c.close() }
        try await c.start(root: dir, file: saved, encodings: ["utf-16"])
        c.edit(0..<0, "<typed>")                                   // "<typed>one\n"
        try "<typed>one\n".write(to: saved, atomically: true, encoding: .utf8)   // saved
        let unsavedURI = unsaved.absoluteString
        c.notify("textDocument/didOpen", ["textDocument": ["uri": .string(unsavedURI), "languageId": "plaintext",
                                                          "version": 1, "text": "two\n"]])
        c.notify("textDocument/didChange", ["textDocument": ["uri": .string(unsavedURI), "version": 2],
                                            "contentChanges": [["range": ["start": ["line": 0, "character": 0],
                                                                          "end": ["line": 0, "character": 0]],
                                                                "text": "<draft>"]]])   // "<draft>two\n", not saved

        let shared = try await c.request("workspace/executeCommand", ["command": "mesh.share", "arguments": []]).get()
        let session = try #require(shared["session"]?.string.flatMap(UUID.init(uuidString:)), "\(shared)")
        let api = MeshAPIClient(server: world.server.url, credentials: try CredentialStore(directory: homeC).load())
        func text(_ path: String) async -> String? {
            guard let documents = try? await api.documents(of: session),
                  let id = documents.first(where: { $0.path == path })?.id
            else { return nil }
            return try? await api.document(session: session, id: id).text
        }
        // One more key once the file is bridged: its op follows any doubled merge, so the text
        // below is reached only when there was none (not in a gap before it).
        try await eventually("saved.txt is bridged") { c.currentPresence != nil }
        c.edit(11..<11, "!")                                        // "<typed>one\n!"
        let agreed = await eventually(timeout: .seconds(20)) {
            let (first, second) = (await text("saved.txt"), await text("unsaved.txt"))
            return first == "<typed>one\n!" && second == "<draft>two\n"
        }
        let (first, second) = (await text("saved.txt"), await text("unsaved.txt"))
        #expect(agreed, "saved.txt: \(String(describing: first)), unsaved.txt: \(String(describing: second))\n\(c.transcript)")
    }

    /// Cy opens a file of her own folder, not in the session, and types in it; then she joins
    /// the session from the editor. The file joins the session as her editor holds it, with what
    /// she typed once (it was created from her text, typing and all, then merged again).
    @Test func aFileTypedInBeforeJoiningJoinsTheSessionOnce() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\n")
        defer { world.server.stop() }
        let (homeC, dir) = try await signUpCy(on: world)
        let invite = try await world.api.createInvite(session: world.session.id, role: .editor)
        let mine = dir.appendingPathComponent("mine.txt")
        try "base\n".write(to: mine, atomically: true, encoding: .utf8)
        let c = try EditorProcess(name: "cy", home: homeC, logFile: root.appendingPathComponent("lsp-cy.log"))
        defer { c.close() }
        try await c.start(root: dir, file: mine, encodings: ["utf-16"])
        c.edit(0..<0, "<typed>")                                   // "<typed>base\n", not saved
        let joined = try await c.request("workspace/executeCommand",
                                         ["command": "mesh.join", "arguments": [.string("\(world.server.url)/join/\(invite.code)")]]).get()
        #expect(joined["session"]?.string?.lowercased() == world.session.id.uuidString.lowercased(), "\(joined)")
        // One more key once the file is bridged: its op follows any doubled merge, so the text
        // below is reached only when there was none (not in a gap before it).
        try await eventually("mine.txt is bridged") { c.currentPresence != nil }
        c.edit(12..<12, "!")                                        // "<typed>base\n!"
        let agreed = await eventually(timeout: .seconds(20)) {
            await world.textIfAny("mine.txt") == "<typed>base\n!" && c.currentText == "<typed>base\n!"
        }
        let server = await world.textIfAny("mine.txt")
        #expect(agreed, "server: \(String(describing: server))\n\(c.transcript)")
    }

    /// Cy, signed up on `world`'s server: her home, and an empty folder of hers.
    private func signUpCy(on world: World) async throws -> (home: URL, folder: URL) {
        let home = root.appendingPathComponent("home-c")
        _ = try await mesh(["signup", "--email", "cy@example.test", "--name", "Cy", "--password-stdin", "--server", world.server.url],
                           home: home, stdin: "cy password 3\n")
        let folder = root.appendingPathComponent("cy")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (home, folder)
    }
}
