import Foundation
import MeshClient
import MeshLSP
import MeshProtocol
import MeshTestSupport
import Testing

/// One `mesh lsp` for several shared folders, as VS Code runs it (one language client for the
/// window): each workspace folder is its own root with its own session, and
/// `workspace/didChangeWorkspaceFolders` adds and removes roots while it runs.
extension LanguageServerTests {
    /// A session of Bob's, joined by Ann: Bob's folder and Ann's.
    struct BobsSession {
        let id: UUID
        let bobFolder: URL, annFolder: URL
    }

    /// Bob shares a new folder `name` holding `file`; Ann joins it into a folder of her own.
    func bobShares(_ name: String, file: String, contents: String, world: World) async throws -> BobsSession {
        let bobFolder = root.appendingPathComponent("bob-\(name)"), annFolder = root.appendingPathComponent("ann-\(name)")
        try FileManager.default.createDirectory(at: bobFolder, withIntermediateDirectories: true)
        try contents.write(to: bobFolder.appendingPathComponent(file), atomically: true, encoding: .utf8)
        struct Shared: Decodable { var session: SessionInfo; var invite: InviteInfo }
        let shared = try MeshJSON.decoder().decode(Shared.self, from: Data(try await mesh(["share", bobFolder.path], home: world.homeB).utf8))
        _ = try await mesh(["join", shared.invite.code, annFolder.path], home: world.homeA)
        return BobsSession(id: shared.session.id, bobFolder: bobFolder, annFolder: annFolder)
    }

    /// The text of `path` in `session`, nil while it has no such document.
    static func text(_ path: String, in session: UUID, api: MeshAPIClient) async -> String? {
        guard let documents = try? await api.documents(of: session), let id = documents.first(where: { $0.path == path })?.id
        else { return nil }
        return try? await api.document(session: session, id: id).text
    }

    /// Ann's one editor has two shared folders: her own (session one, Bob joined) and one joined
    /// from Bob (session two). Each edit reaches its own session and peer only, and the peer's
    /// edit only its own buffer; a command goes to the folder it names (without one, with two
    /// folders, it fails and says how to name it). A folder added with
    /// `didChangeWorkspaceFolders` joins its session (three); a folder removed leaves: its
    /// connection closes (Bob, in session two, hears Ann go offline), and her typing there no
    /// longer reaches the session, while the other folders go on.
    @Test func oneEditorServesSeveralSharedFolders() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "one.txt", contents: "one\n")
        defer { world.server.stop() }
        let two = try await bobShares("two", file: "two.txt", contents: "two\n", world: world)
        let three = try await bobShares("three", file: "three.txt", contents: "three\n", world: world)
        let bobAPI = MeshAPIClient(server: world.server.url, credentials: try CredentialStore(directory: world.homeB).load())

        let ann = MultiRootEditor(name: "ann", home: world.homeA)
        let servingAnn = Task { await ann.serve() }
        defer { ann.finish() }
        try await ann.initialize(folders: [world.dirA, two.annFolder])
        let oneURI = try ann.open(world.dirA.appendingPathComponent("one.txt"))
        let twoURI = try ann.open(two.annFolder.appendingPathComponent("two.txt"))
        let (bobOne, servingBobOne) = try await openInProcess("bob-one", home: world.homeB, folder: world.dirB, file: "one.txt")
        defer { bobOne.finish() }
        let (bobTwo, servingBobTwo) = try await openInProcess("bob-two", home: world.homeB, folder: two.bobFolder, file: "two.txt")
        defer { bobTwo.finish() }
        try await eventually("every file is bridged") {
            ann.presence(of: oneURI) != nil && ann.presence(of: twoURI) != nil && bobOne.currentPresence != nil && bobTwo.currentPresence != nil
        }

        // Each folder's edit goes to its own session and peer.
        ann.typeText("<ann-one>", at: 0, in: oneURI)
        ann.typeText("<ann-two>", at: 0, in: twoURI)
        try await eventually("each edit reached its own session and peer") {
            guard bobOne.currentText == "<ann-one>one\n", bobTwo.currentText == "<ann-two>two\n" else { return false }
            let sessionOne = await world.textIfAny("one.txt")
            let sessionTwo = await Self.text("two.txt", in: two.id, api: bobAPI)
            return sessionOne == "<ann-one>one\n" && sessionTwo == "<ann-two>two\n"
        }
        #expect(await world.textIfAny("two.txt") == nil, "session one got a document of the other folder")
        #expect(await Self.text("one.txt", in: two.id, api: bobAPI) == nil, "session two got a document of the other folder")
        bobTwo.edit(0..<0, "<bob-two>")
        try await eventually("Bob's edit in session two reached Ann's buffer of it") { ann.text(twoURI) == "<bob-two><ann-two>two\n" }
        #expect(ann.text(oneURI) == "<ann-one>one\n")
        #expect(bobOne.currentText == "<ann-one>one\n")

        // Commands act on the folder named; with two folders and none named they fail, saying how.
        let unnamed = await ann.request("workspace/executeCommand", ["command": "mesh.chat", "arguments": ["which one?"]])
        guard case let .failure(error) = unnamed else {
            Issue.record("mesh.chat without a folder was answered \(unnamed)")
            return
        }
        #expect(error.message.contains("several workspace folders"), "\(error.message)")
        func chat(_ text: String, to uri: String) async throws {
            let answer = await ann.request("workspace/executeCommand", ["command": "mesh.chat", "arguments": [.string(text), ["root": .string(uri)]]])
            #expect(try answer.get() == .null)
        }
        try await chat("to two", to: twoURI)
        try await chat("to one", to: world.dirA.absoluteString)
        try await eventually("each chat reached its own session") {
            bobTwo.shownMessages.contains("Ann: to two") && bobOne.shownMessages.contains("Ann: to one")
        }
        // Sent before "to one", on the same connection had it been misrouted.
        #expect(!bobOne.shownMessages.contains("Ann: to two") && !bobTwo.shownMessages.contains("Ann: to one"))

        // A folder added joins its session.
        ann.notify("workspace/didChangeWorkspaceFolders", ["event": ["added": [MultiRootEditor.folder(three.annFolder)], "removed": []]])
        let threeURI = try ann.open(three.annFolder.appendingPathComponent("three.txt"))
        try await eventually("the added folder's file is bridged") { ann.presence(of: threeURI) != nil }
        ann.typeText("<ann-three>", at: 0, in: threeURI)
        try await eventually("its edit reached session three") {
            await Self.text("three.txt", in: three.id, api: bobAPI) == "<ann-three>three\n"
        }

        // A folder removed leaves: Bob, in session two, hears Ann's connection close.
        let watcher = try await CollaborationClient.connect(server: world.server.url, accessToken: try await bobAPI.freshAccessToken(),
                                                           session: two.id.uuidString, client: "roots-test")
        let heard = Heard()
        let listening = Task {
            for await message in watcher.messages {
                if case .welcome = message { heard.note(welcomed: true) }
                if case let .participant(change) = message, change.name == "Ann", !change.online { heard.note(annLeft: true) }
            }
        }
        defer { listening.cancel() }
        try await eventually("the watcher is in session two") { heard.state.welcomed }
        ann.notify("workspace/didChangeWorkspaceFolders", ["event": ["added": [], "removed": [MultiRootEditor.folder(two.annFolder)]]])
        try await eventually("Ann's connection to session two closed", timeout: .seconds(20)) { heard.state.annLeft }
        ann.typeText("<gone>", at: 0, in: twoURI)
        ann.typeText("<still>", at: 0, in: oneURI)
        try await eventually("session one still takes her edits") { bobOne.currentText == "<still><ann-one>one\n" }
        #expect(await Self.text("two.txt", in: two.id, api: bobAPI) == "<bob-two><ann-two>two\n", "an edit of a removed folder reached its session")
        #expect(bobTwo.currentText == "<bob-two><ann-two>two\n")
        await watcher.close()

        ann.finish()
        bobOne.finish()
        bobTwo.finish()
        #expect(await Self.exitCode(of: servingAnn, within: .seconds(20)) == 1, "Ann's server went on after her editor quit")
        _ = await Self.exitCode(of: servingBobOne, within: .seconds(20))
        _ = await Self.exitCode(of: servingBobTwo, within: .seconds(20))
    }

    /// What the watcher heard, read by the test while its task listens.
    final class Heard: @unchecked Sendable {
        private let lock = NSLock()
        private var welcomed = false, annLeft = false

        func note(welcomed: Bool = false, annLeft: Bool = false) {
            lock.withLock {
                self.welcomed = self.welcomed || welcomed
                self.annLeft = self.annLeft || annLeft
            }
        }

        var state: (welcomed: Bool, annLeft: Bool) { lock.withLock { (welcomed, annLeft) } }
    }
}
