import Foundation
import MeshTestSupport
import MeshClient
import MeshProtocol
import Testing

/// Invite links against a real `mesh serve` and the real binary: `mesh share` and `mesh session
/// invite` print `<server>/join/<code>`; `mesh join <link>` needs no prior login (it signs up or
/// logs in on the link's server), fails clearly without a way to log in, and the bare code still
/// works for someone logged in.
@Suite(.timeLimit(.minutes(5))) struct InviteLinkFlowTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-links-\(UUID().uuidString)")

    func home(_ name: String) -> URL { root.appendingPathComponent("home-\(name)") }
    func folder(_ name: String) -> URL { root.appendingPathComponent(name) }

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
    struct Shared: Decodable { var session: SessionInfo; var invite: InviteInfo; var url: String; var files: [String] }
    struct Invite: Decodable {
        var code: String; var sessionID: UUID; var role: Role; var expiresAt: Date; var maxUses: Int; var uses: Int
        var revoked: Bool; var url: String
    }
    struct Joined: Decodable { var session: SessionInfo; var files: [String] }

    @Test(.timeLimit(.minutes(5)))
    func linksCarryTheServer() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let server = MeshServerProcess(dataDirectory: data)
        try await server.start()
        defer { server.stop() }
        let url = server.url

        // The owner shares a folder: the JSON keeps its fields and adds the link.
        _ = try await json(Account.self, ["signup", "--email", "owner@example.test", "--name", "Owner", "--password-stdin", "--server", url],
                     home: home("owner"), stdin: "owner password 1\n")
        let project = folder("project")
        try FileManager.default.createDirectory(at: project.appendingPathComponent("src"), withIntermediateDirectories: true)
        try Data("print(\"hi\")\n".utf8).write(to: project.appendingPathComponent("src/main.swift"))
        let shared = try await json(Shared.self, ["share", project.path], home: home("owner"))
        #expect(shared.url == "\(url)/join/\(shared.invite.code)")
        #expect(shared.files == ["src/main.swift"] && shared.invite.role == .editor)

        // The human text shows the link, and the code on its own.
        let other = folder("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("notes\n".utf8).write(to: other.appendingPathComponent("notes.txt"))
        let human = try await mesh(["share", other.path], home: home("owner"))
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("mesh join \(url)/join/"), "\(human.stdout)")
        #expect(human.stdout.contains("Invite code: "), "\(human.stdout)")

        // mesh session invite: the Invite fields plus url, in JSON and in the text.
        let sessionID = shared.session.id.uuidString
        let invite = try await json(Invite.self, ["session", "invite", sessionID, "--role", "viewer", "--max-uses", "5"], home: home("owner"))
        #expect(invite.url == "\(url)/join/\(invite.code)" && invite.role == .viewer && invite.maxUses == 5 && invite.uses == 0)
        #expect(invite.sessionID == shared.session.id && !invite.revoked)
        let inviteText = try await mesh(["session", "invite", sessionID], home: home("owner"))
        #expect(inviteText.status == 0 && inviteText.stdout.contains("mesh join \(url)/join/"), "\(inviteText.stdout)")

        // A newcomer with a fresh MESH_HOME signs up on the link's server and joins, in one step.
        let newcomer = home("newcomer")
        let joinedDir = folder("joined")
        let joined = try await json(Joined.self, ["join", shared.url, joinedDir.path, "--email", "new@example.test", "--name", "Newcomer",
                                            "--password-stdin"],
                              home: newcomer, stdin: "newcomer password 2\n")
        #expect(joined.session.id == shared.session.id && joined.session.role == .editor)
        #expect(joined.files == ["src/main.swift"])
        #expect(try String(contentsOf: joinedDir.appendingPathComponent("src/main.swift"), encoding: .utf8) == "print(\"hi\")\n")
        let stored = try #require(try CredentialStore(directory: newcomer).load())
        #expect(stored.server == url && stored.email == "new@example.test" && stored.isLoggedIn)
        // The server is remembered: later verbs need no --server.
        let me = try await json(Account.self, ["whoami"], home: newcomer)
        #expect(me.email == "new@example.test" && me.displayName == "Newcomer" && me.server == url)

        // The same person on another machine (another fresh home) logs in through the link: no --name.
        let laptop = home("laptop")
        let again = try await json(Joined.self, ["join", invite.url, folder("laptop").path, "--email", "new@example.test", "--password-stdin"],
                             home: laptop, stdin: "newcomer password 2\n")
        #expect(again.session.id == shared.session.id)
        #expect(try CredentialStore(directory: laptop).load()?.userID == me.id)
        // The human text says who logged in where.
        let humanJoin = try await mesh(["join", invite.url, folder("laptop-2").path, "--email", "new@example.test", "--password-stdin"],
                                 home: home("laptop-2"), stdin: "newcomer password 2\n")
        #expect(humanJoin.status == 0, "\(humanJoin.stderr)")
        #expect(humanJoin.stdout.contains("Logged in as Newcomer <new@example.test> on \(url)."), "\(humanJoin.stdout)")

        // No login, no terminal, no options: a clear failure naming the server and both commands;
        // nothing is written, no credentials either.
        let stranger = home("stranger")
        let strangerDir = folder("stranger")
        let refused = try await mesh(["join", shared.url, strangerDir.path], home: stranger)
        #expect(refused.status == 1 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("not logged in to \(url)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("mesh login --server \(url)") && refused.stderr.contains("mesh signup --server \(url)"),
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: strangerDir.path))
        #expect(try CredentialStore(directory: stranger).load() == nil)

        // A wrong password through the link: the server's answer, nothing joined.
        let wrong = try await mesh(["join", shared.url, strangerDir.path, "--email", "new@example.test", "--password-stdin"],
                             home: stranger, stdin: "not the password\n")
        #expect(wrong.status == 1 && wrong.stderr.contains("wrong email or password"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: strangerDir.path))

        // Links are parsed strictly; one for another server than --server is refused.
        for bad in ["ftp://127.0.0.1/join/\(invite.code)", "\(url)/join/\(invite.code)?x=1", "\(url)/invite/\(invite.code)",
                    "\(url)/join/not.a.code"] {
            let result = try await mesh(["join", bad, strangerDir.path], home: stranger)
            #expect(result.status == 1 && result.stderr.contains("is not an invite link"), "\(bad): \(result.stderr)")
        }
        let mismatch = try await mesh(["join", shared.url, strangerDir.path, "--server", "http://127.0.0.1:1"], home: stranger)
        #expect(mismatch.status == 1 && mismatch.stderr.contains("the invite link is for \(url)"), "\(mismatch.stderr)")

        // The bare code still works for someone logged in, and is unchanged without a login.
        let member = home("member")
        _ = try await json(Account.self, ["signup", "--email", "member@example.test", "--name", "Member", "--password-stdin", "--server", url],
                     home: member, stdin: "member password 3\n")
        let byCode = try await json(Joined.self, ["join", invite.code, folder("by-code").path], home: member)
        #expect(byCode.session.id == shared.session.id && byCode.session.role == .viewer)
        let noLogin = try await mesh(["join", invite.code, folder("no-login").path, "--server", url], home: home("nobody"))
        #expect(noLogin.status == 1 && noLogin.stderr.contains("not logged in to \(url)"), "\(noLogin.stderr)")
        let codeWithOptions = try await mesh(["join", invite.code, folder("no-login").path, "--email", "x@example.test"], home: member)
        #expect(codeWithOptions.status == 1 && codeWithOptions.stderr.contains("go with an invite link"), "\(codeWithOptions.stderr)")

        #expect(await server.stopped() == 0, "mesh serve did not exit cleanly: \(server.log)")
    }
}
