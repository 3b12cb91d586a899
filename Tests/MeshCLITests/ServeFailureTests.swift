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

    /// A second node on an SQLite file is refused whatever form of URL names the file (the store's
    /// rule): an empty MESH_DATABASE_URL is the data folder's file, and `sqlite:PATH` is locked in
    /// PATH's folder. The bug: `mesh serve` took any URL for PostgreSQL, so neither locked anything
    /// and two nodes wrote one SQLite file; its log said "postgresql".
    @Test func aSecondNodeOnAnSQLiteFileNamedByAURLIsRefused() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        // An empty MESH_DATABASE_URL: the data folder's mesh.sqlite, and the log says so.
        let data = root.appendingPathComponent("a")
        let first = MeshServerProcess(dataDirectory: data)
        first.process.environment?["MESH_DATABASE_URL"] = ""
        try await first.start()
        defer { first.stop() }
        let file = data.appendingPathComponent("mesh.sqlite").path
        #expect(await eventually { first.log.contains("sqlite:\(file)") }, "the log names the SQLite file: \(first.log)")
        let second = MeshServerProcess(dataDirectory: data)
        second.process.environment?["MESH_DATABASE_URL"] = ""
        await #expect(throws: MeshServerProcess.StartError.self, "a second node on the data folder is refused") {
            try await second.start(timeout: .seconds(30))
        }
        second.stop()
        #expect(second.log.contains("another mesh serve"), "\(second.log)")

        // `sqlite:PATH` outside both data folders: the lock is in PATH's folder.
        let shared = root.appendingPathComponent("db")
        let url = "sqlite:" + shared.appendingPathComponent("mesh.sqlite").path
        let third = MeshServerProcess(dataDirectory: root.appendingPathComponent("b"), extraArguments: ["--database-url", url])
        try await third.start()
        defer { third.stop() }
        #expect(FileManager.default.fileExists(atPath: shared.appendingPathComponent("mesh-serve.lock").path))
        let fourth = MeshServerProcess(dataDirectory: root.appendingPathComponent("c"), extraArguments: ["--database-url", url])
        await #expect(throws: MeshServerProcess.StartError.self, "a second node on the same SQLite file is refused") {
            try await fourth.start(timeout: .seconds(30))
        }
        fourth.stop()
        #expect(fourth.log.contains("another mesh serve") && fourth.log.contains(shared.path), "\(fourth.log)")
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
