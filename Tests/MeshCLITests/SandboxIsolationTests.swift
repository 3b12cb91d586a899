import Foundation
import MeshClient
import MeshProtocol
import MeshSandbox
import Testing

/// Tenants isolated in the sandbox, against a real dockerd: no writable state shared between
/// sessions, container caps per server and per user, and containers that stop when their
/// session is deleted, their editor loses the role, or their client goes away. Each test is
/// named after the attack it stops.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SandboxIsolationTests {
    func run(_ arguments: [String], home: URL, in directory: URL) async throws -> MeshBinary.Result {
        try await MeshBinary.run(["run"] + arguments, environment: ["MESH_HOME": home.path], directory: directory)
    }

    /// Issue "tenants isolated in the sandbox": every session's builds wrote to one shared Go
    /// cache volume, so a session's code could plant entries another session's builds read.
    /// Each session has its own volume now, deleting the session removes it, and a program
    /// cannot write even its own session's volume (the relay confines it with Landlock; only the
    /// relay's builds write there).
    @Test func aSessionCannotPlantFilesInAnotherSessionsBuildCache() async throws {
        let world = try await SandboxWorld.start("cache-isolation")
        defer { world.stop() }
        let other = try await world.shareAnother("ann-other")
        let planted = try await run(["./cacheprobe", "--", "plant", "poison"], home: world.homeA, in: world.dirA)
        #expect(planted.status != 0 && planted.stdout.contains("plant failed") && planted.stdout.contains("permission denied"),
                "\(planted.stdout) \(planted.stderr)")
        // Nothing planted, in its own session's cache or another's.
        let own = try await run(["./cacheprobe", "--", "look", "poison"], home: world.homeA, in: world.dirA)
        #expect(own.status == 0 && own.stdout.contains("absent"), "\(own.stdout) \(own.stderr)")
        let elsewhere = try await run(["./cacheprobe", "--", "look", "poison"], home: world.homeA, in: other.dir)
        #expect(elsewhere.status == 0 && elsewhere.stdout.contains("absent"), "\(elsewhere.stdout) \(elsewhere.stderr)")

        let first = try await world.cacheVolumes(of: world.session)
        let second = try await world.cacheVolumes(of: other.session)
        #expect(first.count == 1 && second.count == 1 && first != second, "\(first) \(second)")
        #expect(first.allSatisfy { $0.count <= 63 }, "\(first)")
        try await world.expectNoContainers("the cache probes")

        // Deleting a session removes its volume (and only its).
        let deleted = try await SandboxWorld.mesh(["session", "delete", other.session.uuidString], home: world.homeA)
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(try await world.cacheVolumes(of: other.session).isEmpty)
        #expect(try await world.cacheVolumes(of: world.session) == first)
    }

    /// Issue "safe for strangers": a session's build-cache volume had no size limit, and the
    /// program could fill it. Now the program cannot write it (above), and what builds add is
    /// kept within `--sandbox-cache-mb`: `cachefill` compiles a 6 MiB package, and what the cache
    /// holds besides the image's warm cache, measured by the program right after its build,
    /// stays under the 4 MiB limit (a build is stopped only past twice the limit, 8 MiB).
    @Test func aBuildCannotGrowTheCacheBeyondItsLimit() async throws {
        let world = try await SandboxWorld.start("cache-limit", serverArguments: ["--sandbox-cache-mb", "4"])
        defer { world.stop() }
        for round in 1...2 {
            let result = try await run(["./cachefill"], home: world.homeA, in: world.dirA)
            #expect(result.status == 0, "round \(round): \(result.stdout) \(result.stderr)")
            let added = result.stdout.components(separatedBy: "cache added ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
            let bytes = try #require(added, "round \(round): \(result.stdout)")
            #expect(bytes <= 4 << 20, "round \(round): the cache holds \(bytes) bytes beyond the image's")
        }
        try await world.expectNoContainers("the cache fills")
    }

    /// One user starting runs in a loop could take every container the machine can hold. With
    /// one container per user, a second concurrent run gets 429 with a clear message, while
    /// another user still runs.
    @Test func oneUserCannotHoldMoreThanTheirContainers() async throws {
        let world = try await SandboxWorld.start("user-cap", serverArguments: ["--sandbox-max-containers-per-user", "1"])
        defer { world.stop() }
        let spin = try BackgroundRun(["./spin"], home: world.homeA, directory: world.dirA)
        try await spin.waitForOutput("spin: spinning")

        let refused = await #expect(throws: MeshAPIError.self) {
            _ = try await world.api(world.homeA).run(session: world.session, package: "./hello", arguments: []) { _, _ in }
        }
        #expect(refused?.status == 429 && refused?.code == "rate_limited", "\(String(describing: refused))")
        #expect(refused?.message.contains("limit 1 per user") == true, "\(String(describing: refused))")
        let cli = try await run(["./hello"], home: world.homeA, in: world.dirA)
        #expect(cli.status != 0 && cli.stderr.contains("sandbox container running (limit 1 per user)"), "\(cli.stderr)")
        // Bob is not held back by Ann's container.
        let bob = try await run(["./hello"], home: world.homeB, in: world.dirB)
        #expect(bob.status == 3 && bob.stdout.contains("hello from mesh"), "\(bob.stdout) \(bob.stderr)")

        spin.killClient()
        _ = try await spin.finish()
        try await world.expectNoContainers("the capped runs", timeout: .seconds(15))
    }

    /// Many users together could still exhaust the machine: the server-wide cap refuses a run
    /// (429) and a debug launch (a DAP error response) alike.
    @Test func usersTogetherCannotExceedTheServersContainers() async throws {
        let world = try await SandboxWorld.start("server-cap", serverArguments: ["--sandbox-max-containers", "1"])
        defer { world.stop() }
        let spin = try BackgroundRun(["./spin"], home: world.homeA, directory: world.dirA)
        try await spin.waitForOutput("spin: spinning")

        let refused = await #expect(throws: MeshAPIError.self) {
            _ = try await world.api(world.homeB).run(session: world.session, package: "./hello", arguments: []) { _, _ in }
        }
        #expect(refused?.status == 429 && refused?.code == "rate_limited", "\(String(describing: refused))")
        #expect(refused?.message.contains("the sandbox is busy: 1 container running (limit 1)") == true, "\(String(describing: refused))")
        let dap = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-busy.log"))
        defer { dap.close() }
        let initialized = try await dap.request("initialize", ["adapterID": "go", "pathFormat": "path", "linesStartAt1": true, "columnsStartAt1": true])
        #expect(initialized["success"]?.bool == false && initialized["message"]?.string?.contains("the sandbox is busy") == true,
                "\(initialized)")
        #expect(try await world.containers().count == 1)

        spin.killClient()
        _ = try await spin.finish()
        try await world.expectNoContainers("the capped server", timeout: .seconds(15))
        // Once the slot is free, the same debug session can start its container.
        let again = try await dap.request("initialize", ["adapterID": "go", "pathFormat": "path", "linesStartAt1": true, "columnsStartAt1": true])
        #expect(again["success"]?.bool == true, "\(again)")
        _ = try? await dap.request("disconnect", ["terminateDebuggee": true], timeout: .seconds(10))
        try await world.expectNoContainers("the debug session")
    }

    /// Deleting a session left its programs running (a run up to its time limit, a debug
    /// container up to its idle limit). Now they stop at once, and the debugger is told.
    @Test func deletingASessionStopsItsContainers() async throws {
        let world = try await SandboxWorld.start("delete-stops")
        defer { world.stop() }
        let spin = try BackgroundRun(["./spin"], home: world.homeA, directory: world.dirA)
        try await spin.waitForOutput("spin: spinning")
        let dap = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-deleted.log"))
        defer { dap.close() }
        let initialized = try await dap.request("initialize", ["adapterID": "go", "pathFormat": "path", "linesStartAt1": true, "columnsStartAt1": true])
        #expect(initialized["success"]?.bool == true, "\(initialized)")
        #expect(try await world.containers().count == 2, "the run's and the debug container")

        let deleted = try await SandboxWorld.mesh(["session", "delete", world.session.uuidString], home: world.homeA)
        #expect(deleted.status == 0, "\(deleted.stderr)")
        try await world.expectNoContainers("the session's deletion", timeout: .seconds(5))
        _ = try await dap.event("terminated", timeout: .seconds(10))
        #expect(dap.outputs.contains { $0.contains("the session was deleted") }, "\(dap.outputs)")
        #expect(try await spin.finish() == 137)
        #expect(spin.stderr.contains("the session was deleted"), "\(spin.stderr)")
        #expect(try await world.cacheVolumes(of: world.session).isEmpty, "the session's cache volume is removed")
    }

    /// An editor made a viewer (or removed) kept a program running: their run, and a debug
    /// session nobody left could control. Both stop.
    @Test func aDemotedEditorsProgramsStop() async throws {
        let world = try await SandboxWorld.start("demoted-stops")
        defer { world.stop() }
        let spin = try BackgroundRun(["./spin"], home: world.homeB, directory: world.dirB)
        try await spin.waitForOutput("spin: spinning")
        let dap = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-demoted.log"))
        defer { dap.close() }
        let initialized = try await dap.request("initialize", ["adapterID": "go", "pathFormat": "path", "linesStartAt1": true, "columnsStartAt1": true])
        #expect(initialized["success"]?.bool == true, "\(initialized)")

        _ = try await world.api(world.homeA).setRole(session: world.session, user: world.bobID, role: .viewer)
        try await world.expectNoContainers("Bob's demotion", timeout: .seconds(5))
        _ = try await dap.event("terminated", timeout: .seconds(10))
        #expect(dap.outputs.contains { $0.contains("no editor is left") }, "\(dap.outputs)")
        #expect(try await spin.finish() == 137)
        #expect(spin.stderr.contains("lost access"), "\(spin.stderr)")
    }

    /// A client that starts runs and hangs up left each container running to its time limit;
    /// the server notices the client is gone (it writes `{}` every 2 s of silence) and stops it.
    @Test func aRunWhoseClientVanishedDoesNotKeepItsContainer() async throws {
        let world = try await SandboxWorld.start("vanished-client")
        defer { world.stop() }
        let spin = try BackgroundRun(["./spin"], home: world.homeA, directory: world.dirA)
        try await spin.waitForOutput("spin: spinning")
        #expect(try await world.containers().count == 1)
        spin.killClient()
        try await world.expectNoContainers("the client's disappearance", timeout: .seconds(15))
    }
}
