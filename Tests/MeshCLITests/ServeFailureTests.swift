import Foundation
import MeshTestSupport
import Testing

/// `mesh serve` stops at once, with one clear line and exit status 1, when it cannot work.
@Suite(.timeLimit(.minutes(5))) struct ServeFailureTests {
    @Test func portInUseAndUnreachableDatabaseFailClearly() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-fail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let first = MeshServerProcess(dataDirectory: root.appendingPathComponent("a"))
        try await first.start()
        defer { first.stop() }
        let port = try #require(first.url.split(separator: ":").last.map(String.init))

        // A second node on the first one's SQLite folder: refused, naming the folder and the way out.
        let second = try await MeshBinary.run(["serve", "--port", "0", "--data-dir", root.appendingPathComponent("a").path])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another mesh serve") && second.stderr.contains("PostgreSQL"), "\(second.stderr)")

        let busy = try await MeshBinary.run(["serve", "--port", port, "--data-dir", root.appendingPathComponent("b").path])
        #expect(busy.status == 1)
        #expect(busy.stderr.contains("mesh serve:"), "\(busy.stderr)")
        #expect(busy.stderr.contains(port), "the message names the port: \(busy.stderr)")

        // Nothing listens on port 9 of loopback: the database is unreachable.
        let noDatabase = try await MeshBinary.run(["serve", "--port", "0", "--data-dir", root.appendingPathComponent("c").path,
                                             "--database-url", "postgres://mesh@127.0.0.1:9/none"])
        #expect(noDatabase.status == 1)
        #expect(noDatabase.stderr.contains("cannot open the database"), "\(noDatabase.stderr)")
        #expect(noDatabase.stderr.contains("127.0.0.1:9"), "\(noDatabase.stderr)")

        let badURL = try await MeshBinary.run(["serve", "--port", "0", "--data-dir", root.appendingPathComponent("d").path,
                                         "--database-url", "mysql://nope"])
        #expect(badURL.status == 1)
        #expect(!badURL.stderr.isEmpty)
    }

    /// With dockerd gone, `mesh run` says so at once (it waited out a 60 s deadline), and the
    /// rest of the server keeps working.
    @Test func aRunWithoutDockerdFailsAtOnceWithTheReason() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-nodocker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let server = MeshServerProcess(dataDirectory: root.appendingPathComponent("data"),
                                       extraArguments: ["--docker-socket", root.appendingPathComponent("missing.sock").path])
        try await server.start()
        defer { server.stop() }
        let home = root.appendingPathComponent("home"), project = root.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try "package main\nfunc main() {}\n".write(to: project.appendingPathComponent("main.go"), atomically: true, encoding: .utf8)
        let signup = try await MeshBinary.run(["signup", "--email", "a@example.test", "--name", "A", "--password-stdin", "--server", server.url],
                                        environment: ["MESH_HOME": home.path], stdin: "a password 1\n")
        #expect(signup.status == 0, "\(signup.stderr)")
        let share = try await MeshBinary.run(["share", project.path], environment: ["MESH_HOME": home.path])
        #expect(share.status == 0, "\(share.stderr)")
        let started = ContinuousClock.now
        let run = try await MeshBinary.run(["run", "."], environment: ["MESH_HOME": home.path], directory: project)
        #expect(run.status != 0)
        #expect(run.stderr.contains("dockerd is not reachable"), "\(run.stderr)")
        #expect(ContinuousClock.now - started < .seconds(20), "answered at once, not after the request deadline")
    }
}
