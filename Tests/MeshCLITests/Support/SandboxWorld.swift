import Foundation
import MeshClient
import MeshOT
import MeshProtocol
import MeshSandbox
import MeshTestSupport
import Testing

/// A `mesh serve` with the sandbox, two users (Ann owns a session holding the Go fixtures,
/// Bob joined it) and the checks every sandbox test needs: dockerd and the runtime image are
/// there (a failure, never a skip, when they are not), and no container of this server is left.
struct SandboxWorld {
    let root: URL
    let server: MeshServerProcess
    let homeA: URL, homeB: URL
    let dirA: URL, dirB: URL
    let session: UUID
    let bobID: UUID
    let docker = DockerClient()
    let instance: String

    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/go")
    }

    static func mesh(_ arguments: [String], home: URL, stdin: String? = nil) async throws -> MeshBinary.Result {
        try await MeshBinary.run(arguments, environment: ["MESH_HOME": home.path], stdin: stdin)
    }

    /// Fails (never skips) when dockerd or the runtime image is missing.
    static func requireDocker() async throws {
        let docker = DockerClient()
        do { try await docker.ping() } catch {
            throw TestFailure("\(error) — scripts/test.sh starts dockerd (scripts/docker-daemon.sh)")
        }
        guard try await docker.imageExists(RuntimeImage.reference) else {
            throw TestFailure("the runtime image \(RuntimeImage.reference) is missing: scripts/test.sh builds it with `mesh runtime build`")
        }
    }

    static func start(_ name: String, serverArguments: [String] = []) async throws -> SandboxWorld {
        try await requireDocker()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-\(name)-\(UUID().uuidString)")
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let server = MeshServerProcess(dataDirectory: data, extraArguments: serverArguments)
        try await server.start()
        let homeA = root.appendingPathComponent("home-a"), homeB = root.appendingPathComponent("home-b")
        for (home, email, name) in [(homeA, "ann@example.test", "Ann"), (homeB, "bob@example.test", "Bob")] {
            let result = try await mesh(["signup", "--email", email, "--name", name, "--password-stdin", "--server", server.url, "--json"],
                                  home: home, stdin: "password of \(name)\n")
            guard result.status == 0 else { throw TestFailure("signup failed: \(result.stderr)") }
        }
        let dirA = root.appendingPathComponent("ann"), dirB = root.appendingPathComponent("bob")
        try FileManager.default.createDirectory(at: dirA.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixtures, to: dirA)
        let shared = try await mesh(["share", dirA.path, "--json"], home: homeA)
        guard shared.status == 0 else { throw TestFailure("share failed: \(shared.stderr)") }
        struct Shared: Decodable { var session: SessionInfo; var invite: InviteInfo }
        let info = try MeshJSON.decoder().decode(Shared.self, from: Data(shared.stdout.utf8))
        let joined = try await mesh(["join", info.invite.code, dirB.path, "--json"], home: homeB)
        guard joined.status == 0 else { throw TestFailure("join failed: \(joined.stderr)") }
        let bob = try await mesh(["whoami", "--json"], home: homeB)
        struct Account: Decodable { var id: UUID }
        let bobID = try MeshJSON.decoder().decode(Account.self, from: Data(bob.stdout.utf8)).id
        let instance = DocumentHash.of(data.standardizedFileURL.path)
        return SandboxWorld(root: root, server: server, homeA: homeA, homeB: homeB, dirA: dirA, dirB: dirB,
                            session: info.session.id, bobID: bobID, instance: instance)
    }

    /// Ann shares another copy of the fixtures: a second session of hers, in `name`.
    func shareAnother(_ name: String) async throws -> (dir: URL, session: UUID) {
        let dir = root.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Self.fixtures, to: dir)
        let shared = try await Self.mesh(["share", dir.path, "--json"], home: homeA)
        guard shared.status == 0 else { throw TestFailure("share failed: \(shared.stderr)") }
        struct Shared: Decodable { var session: SessionInfo }
        return (dir, try MeshJSON.decoder().decode(Shared.self, from: Data(shared.stdout.utf8)).session.id)
    }

    /// The Go build-cache volumes of `session` that Docker has.
    func cacheVolumes(of session: UUID) async throws -> [String] {
        let digits = session.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return try await docker.volumes(namePrefix: RuntimeImage.cacheVolume + "-").filter { $0.hasSuffix("-s" + digits) }
    }

    func api(_ home: URL) throws -> MeshAPIClient {
        MeshAPIClient(server: server.url, credentials: try CredentialStore(directory: home).load(), store: CredentialStore(directory: home))
    }

    /// This server's containers that Docker still has.
    func containers() async throws -> [String] {
        try await docker.containers(label: "\(ContainerSpec.managedLabel)=\(instance)")
    }

    /// Waits until no container of this server is left.
    func expectNoContainers(_ what: @autoclosure () -> String, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        var left: [String] = []
        while ContinuousClock.now < deadline {
            left = try await containers()
            if left.isEmpty { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("containers left after \(what()): \(left)")
    }

    /// Bob edits a document through the collaboration socket (an unsaved edit: nobody's disk).
    func bobReplaces(_ old: String, with new: String, in path: String) async throws {
        let token = try await api(homeB).freshAccessToken()
        let client = try await CollaborationClient.connect(server: server.url, accessToken: token, session: session.uuidString)
        try await client.send(.open(.init(path: path)))
        var snapshot: ServerMessage.Snapshot?
        for await message in client.messages {
            if case let .snapshot(s) = message, s.path == path { snapshot = s; break }
        }
        guard let snapshot, let range = snapshot.text.range(of: old) else { throw TestFailure("\(path) has no \(old)") }
        let scalars = snapshot.text.unicodeScalars
        let start = scalars.distance(from: scalars.startIndex, to: range.lowerBound.samePosition(in: scalars)!)
        let length = old.unicodeScalars.count
        let op = TextOperation.replacing(start..<(start + length), with: new, in: scalars.count)
        try await client.send(.op(.init(path: path, baseRev: snapshot.rev, ops: op, opId: "bob-\(UUID().uuidString)")))
        for await message in client.messages {
            if case let .ack(ack) = message, ack.path == path { break }
        }
        await client.close()
    }

    /// Deletes the session, stops the server and removes the folders once it has exited. Called
    /// from a `defer`, it returns at once: the work runs on a dispatch thread, not on Swift's pool.
    func stop() {
        let (session, homeA, server, root) = (session, homeA, server, root)
        PendingTeardowns.begin()
        DispatchQueue.global().async {
            defer { PendingTeardowns.end() }
            // Deleting the session removes its cache volume (190 MB); nothing when it is gone already.
            _ = try? MeshBinary.runBlocking(["session", "delete", session.uuidString], environment: ["MESH_HOME": homeA.path])
            server.process.endWithoutWaiting(grace: .seconds(30)) {
                if ProcessInfo.processInfo.environment["MESH_KEEP_TEST_FILES"] == nil { try? FileManager.default.removeItem(at: root) }
            }
        }
    }
}
