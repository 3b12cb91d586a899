import Foundation
import MeshTestSupport
import MeshClient
import MeshProtocol
import Testing

/// The whole CLI against a real `mesh serve`: two users in their own `MESH_HOME`, a shared
/// folder, an invite, a join, member management and logging out.
@Suite(.timeLimit(.minutes(5))) struct CLIFlowTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-flow-\(UUID().uuidString)")
    var ownerHome: URL { root.appendingPathComponent("home-owner") }
    var guestHome: URL { root.appendingPathComponent("home-guest") }
    static let ownerPassword = "owner password 1"
    static let guestPassword = "guest password 2"

    /// The shared folder: text files, one ignored by pattern, one in an ignored folder, a binary.
    static let sharedFiles: [String: [UInt8]] = [
        ".gitignore": Array("*.log\nbuild/\n".utf8),
        "README.md": Array("# Hello 👋\n".utf8),
        "src/main.swift": Array("print(\"hi\")\r\nlet party = \"🎉\"\r\n".utf8),
        "src/nested/deep/notes.txt": Array("déjà vu\n".utf8),
        "debug.log": Array("ignored\n".utf8),
        "build/out.txt": Array("ignored too\n".utf8),
        "logo.png": [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D],
    ]
    static let expectedShared = [".gitignore", "README.md", "src/main.swift", "src/nested/deep/notes.txt"]

    func mesh(_ arguments: [String], home: URL, stdin: String? = nil) async throws -> MeshBinary.Result {
        try await MeshBinary.run(arguments, environment: ["MESH_HOME": home.path], stdin: stdin)
    }

    /// Runs a `--json` verb that must succeed and decodes its stdout.
    func json<T: Decodable>(_ type: T.Type, _ arguments: [String], home: URL, stdin: String? = nil) async throws -> T {
        let result = try await mesh(arguments + ["--json"], home: home, stdin: stdin)
        try #require(result.status == 0, "mesh \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return try MeshJSON.decoder().decode(T.self, from: Data(result.stdout.utf8))
    }

    struct Account: Decodable { var id: UUID; var email: String; var displayName: String; var server: String }
    struct Shared: Decodable {
        struct Skipped: Decodable { var path: String; var reason: String }
        var session: SessionInfo; var invite: InviteInfo; var files: [String]; var skipped: [Skipped]
    }
    struct Joined: Decodable { var session: SessionInfo; var files: [String] }

    @Test(.timeLimit(.minutes(5)))
    func shareJoinManageAndLogOut() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let server = MeshServerProcess(dataDirectory: data)
        try await server.start()
        defer { server.stop() }
        let url = server.url

        // The owner signs up (the server is remembered from here on) and shares a folder.
        let owner = try await json(Account.self, ["signup", "--email", "owner@example.test", "--name", "Owner",
                                            "--password-stdin", "--server", url],
                             home: ownerHome, stdin: Self.ownerPassword + "\n")
        #expect(owner.email == "owner@example.test" && owner.server == url)
        let credentialsFile = ownerHome.appendingPathComponent("credentials.json")
        let mode = try FileManager.default.attributesOfItem(atPath: credentialsFile.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)

        let sharedDir = root.appendingPathComponent("project")
        for (path, bytes) in Self.sharedFiles {
            let file = sharedDir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: file)
        }
        let shared = try await json(Shared.self, ["share", sharedDir.path], home: ownerHome)
        #expect(shared.session.name == "project" && shared.session.role == .owner)
        #expect(shared.files == Self.expectedShared)
        #expect(shared.skipped.map(\.path) == ["logo.png"])
        #expect(shared.invite.role == .editor)
        let sessionFile = try #require(SessionFile.discover(from: sharedDir)).file
        #expect(sessionFile.session == shared.session.id.uuidString && sessionFile.server == url)
        let sessionID = shared.session.id.uuidString

        // An expired access token is refreshed once, and the rotated tokens are stored.
        let ownerStore = CredentialStore(directory: ownerHome)
        var stale = try #require(try ownerStore.load())
        let oldRefresh = stale.refreshToken
        stale.accessToken = "expired"
        try ownerStore.save(stale)
        let sessions = try await json([SessionInfo].self, ["session", "list"], home: ownerHome)
        #expect(sessions.map(\.id) == [shared.session.id])
        let rotated = try #require(try ownerStore.load())
        #expect(rotated.accessToken != "expired" && rotated.refreshToken != oldRefresh && rotated.userID == owner.id)
        let invite = try await json(InviteInfo.self, ["session", "invite", sessionID, "--role", "viewer", "--max-uses", "3"],
                              home: ownerHome)
        #expect(invite.role == .viewer && invite.maxUses == 3)

        // The guest signs up and joins into an empty folder.
        let guest = try await json(Account.self, ["signup", "--email", "guest@example.test", "--name", "Guest",
                                            "--password-stdin", "--server", url],
                             home: guestHome, stdin: Self.guestPassword + "\n")
        let joinDir = root.appendingPathComponent("joined")
        let joined = try await json(Joined.self, ["join", invite.code, joinDir.path], home: guestHome)
        #expect(joined.session.id == shared.session.id && joined.session.role == .viewer)
        #expect(joined.files == Self.expectedShared)
        for path in Self.expectedShared {
            let copy = try Data(contentsOf: joinDir.appendingPathComponent(path))
            #expect(copy == Data(Self.sharedFiles[path]!), "\(path) differs")
        }
        for absent in ["logo.png", "debug.log", "build"] {
            #expect(!FileManager.default.fileExists(atPath: joinDir.appendingPathComponent(absent).path))
        }
        #expect(FileManager.default.fileExists(atPath: joinDir.appendingPathComponent(".mesh/session.json").path))

        // A differing local file is not overwritten without --force.
        try Data("local edit\n".utf8).write(to: joinDir.appendingPathComponent("README.md"))
        let refused = try await mesh(["join", invite.code, joinDir.path], home: guestHome)
        #expect(refused.status != 0 && refused.stderr.contains("--force"))
        #expect(try await mesh(["join", invite.code, joinDir.path, "--force"], home: guestHome).status == 0)

        // Members, roles, the collaboration socket, kicking.
        var members = try await json([MemberInfo].self, ["session", "members", sessionID], home: ownerHome)
        #expect(Set(members.map(\.userID)) == [owner.id, guest.id])
        #expect(members.first { $0.userID == guest.id }?.role == .viewer)
        let promoted = try await json(MemberInfo.self, ["session", "role", sessionID, guest.id.uuidString, "editor"], home: ownerHome)
        #expect(promoted.role == .editor)
        // No role change or invite grants owner (Role.isGrantable): refused before the server is asked.
        let crowned = try await mesh(["session", "role", sessionID, guest.id.uuidString, "owner"], home: ownerHome)
        #expect(crowned.status == 1 && crowned.stderr.contains("editor or viewer, not owner"), "\(crowned.stderr)")
        let ownerInvite = try await mesh(["session", "invite", sessionID, "--role", "owner"], home: ownerHome)
        #expect(ownerInvite.status == 1 && ownerInvite.stderr.contains("editor or viewer, not owner"), "\(ownerInvite.stderr)")
        try await expectWelcome(server: url, session: sessionID)
        let kicked = try await mesh(["session", "kick", sessionID, "Guest"], home: ownerHome)
        #expect(kicked.status == 0, "\(kicked.stderr)")
        members = try await json([MemberInfo].self, ["session", "members", sessionID], home: ownerHome)
        #expect(members.map(\.userID) == [owner.id])

        // whoami, logout, and a wrong password.
        let me = try await json(Account.self, ["whoami", "--server", url], home: guestHome)
        #expect(me.id == guest.id && me.displayName == "Guest")
        #expect(try await mesh(["logout", "--server", url], home: guestHome).status == 0)
        let after = try await mesh(["whoami", "--server", url], home: guestHome)
        #expect(after.status != 0 && after.stderr.contains("not logged in") && after.stdout.isEmpty)
        let wrong = try await mesh(["login", "--email", "guest@example.test", "--password-stdin", "--server", url],
                             home: guestHome, stdin: "not the password\n")
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("wrong email or password"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("Fatal") && wrong.stdout.isEmpty)
        let right = try await mesh(["login", "--email", "guest@example.test", "--password-stdin", "--server", url],
                             home: guestHome, stdin: Self.guestPassword + "\n")
        #expect(right.status == 0, "\(right.stderr)")

        #expect(await server.stopped() == 0, "mesh serve did not exit cleanly: \(server.log)")
    }

    /// The owner's stored token opens the collaboration socket and gets `welcome`.
    func expectWelcome(server: String, session: String) async throws {
        let credentials = try #require(try CredentialStore(directory: ownerHome).load())
        let client = try await CollaborationClient.connect(server: server, accessToken: try #require(credentials.accessToken),
                                                          session: session, client: "mesh-tests")
        // One iterator for the whole conversation: dropping an AsyncStream iterator ends the stream.
        var messages = client.messages.makeAsyncIterator()
        let first = await messages.next()
        guard case let .welcome(welcome)? = first else {
            Issue.record("expected welcome, got \(String(describing: first))")
            await client.close()
            return
        }
        #expect(welcome.session.lowercased() == session.lowercased())
        #expect(Set(welcome.documents) == Set(Self.expectedShared))
        try await client.send(.ping(.init(id: "p1")))
        var pong: ServerMessage?
        while let message = await messages.next() {
            if case .pong = message { pong = message; break }
        }
        #expect(pong == .pong(.init(id: "p1")))
        await client.close()
    }
}
