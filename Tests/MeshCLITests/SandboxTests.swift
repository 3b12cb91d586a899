import Foundation
import MeshClient
import MeshSandbox
import MeshTestSupport
import Testing

/// `mesh run` and the sandbox policy against a real dockerd and the real runtime image.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SandboxTests {
    @Test func runStreamsTheLiveTextsOutputAndExitCode() async throws {
        let world = try await SandboxWorld.start("run")
        defer { world.stop() }
        // Bob's unsaved edit is what runs; Ann's disk still has the old text.
        try await world.bobReplaces("hello from mesh", with: "hello from the live text", in: "hello/main.go")
        let result = try await MeshBinary.run(["run", "./hello", "--", "one", "two words"], environment: ["MESH_HOME": world.homeA.path],
                                        directory: world.dirA)
        #expect(result.status == 3, "the program's exit code: \(result.stderr)")
        #expect(result.stdout == "hello from the live text\narg 1: one\narg 2: two words\n")
        #expect(result.stderr.contains("hello: exiting with 3"))
        #expect(try String(contentsOf: world.dirA.appendingPathComponent("hello/main.go"), encoding: .utf8).contains("hello from mesh"))
        // A path outside the session is refused clearly.
        let outside = try await MeshBinary.run(["run", "../etc"], environment: ["MESH_HOME": world.homeA.path], directory: world.dirA)
        #expect(outside.status == 1 && outside.stderr.contains("package must be a folder inside the session"), "\(outside.stderr)")
        try await world.expectNoContainers("mesh run")
    }

    /// Docker copies the image's warm Go cache into a new volume when a container first mounts
    /// it, and two containers doing that at once collided ("file exists"; the first CI run on a
    /// fresh machine failed so). Containers of one session (whose volume they share) started
    /// together on its fresh volume all run.
    @Test func containersStartedTogetherOnAFreshCacheVolumeAllRun() async throws {
        let docker = DockerClient()
        let prefix = "mesh-gocache-test-\(UUID().uuidString.prefix(8).lowercased())"
        let sandbox = Sandbox(docker: docker, instance: "mesh-test-\(UUID().uuidString)", cacheVolume: prefix)
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent(prefix)
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }
        let imageID = try #require(try await docker.imageID(RuntimeImage.reference))
        let tenant = SandboxTenant(session: UUID(), user: UUID())
        let volume = Sandbox.volumeName(prefix, imageID: imageID, session: tenant.session)
        /// The containers are removed right after they exit; the volume is free once they are gone.
        func removeVolume() async throws {
            for attempt in 1... {
                do { try await docker.removeVolume(volume); return } catch where attempt < 50 {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        let endings: [SandboxProcess.Ending]
        do {
            endings = try await withThrowingTaskGroup(of: SandboxProcess.Ending.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        // mesh-relay without arguments prints its usage and exits 2.
                        let process = try await sandbox.start(["/usr/local/bin/mesh-relay"], workspace: workspace, tenant: tenant,
                                                              wallClock: 60)
                        return await process.exited()
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        } catch {
            try? await removeVolume()   // not 190 MB left behind by a failed run
            throw error
        }
        try await removeVolume()
        #expect(endings == Array(repeating: .exited(2), count: 3))
    }

    /// A session deleted while dockerd could not remove its cache volume left the volume for
    /// good. At its start the server removes the current image's volumes of sessions its store
    /// no longer has, and keeps those of sessions it has.
    @Test func theVolumesOfDeletedSessionsAreRemoved() async throws {
        try await SandboxWorld.requireDocker()
        let docker = DockerClient()
        let sandbox = Sandbox(docker: docker, instance: "test-volume-sweep")
        let imageID = try #require(try await docker.imageID(RuntimeImage.reference))
        let kept = UUID(), gone = UUID(), othersGone = UUID()
        let names = [kept, gone, othersGone].map { Sandbox.volumeName(RuntimeImage.cacheVolume, imageID: imageID, session: $0) }
        for name in names.prefix(2) { try await docker.createVolume(name, labels: [ContainerSpec.managedLabel: "test-volume-sweep"]) }
        // Another server's (on the same dockerd): its sessions are not in this server's store.
        try await docker.createVolume(names[2], labels: [ContainerSpec.managedLabel: "another-server"])
        defer { Task { for name in names { try? await docker.removeVolume(name) } } }
        let removed = try await sandbox.removeCacheVolumesOfDeletedSessions { $0 == kept }
        #expect(removed == [names[1]], "\(removed)")
        let left = try await docker.volumes(namePrefix: RuntimeImage.cacheVolume + "-")
        #expect(left.contains(names[0]) && !left.contains(names[1]) && left.contains(names[2]), "\(left)")
    }

    /// `mesh runtime build` removes the images other Mesh versions built (other `mesh-runtime`
    /// tags), never its own.
    @Test func otherRuntimeVersionsAreRemoved() async throws {
        try await SandboxWorld.requireDocker()
        let docker = DockerClient()
        let other = "test-\(UUID().uuidString.prefix(8).lowercased())"
        try await docker.tagImage(RuntimeImage.reference, repository: RuntimeImage.repository, tag: other)
        #expect(try await docker.imageTags(repository: RuntimeImage.repository).contains("\(RuntimeImage.repository):\(other)"))
        let removed = try await RuntimeImage.removeOtherVersions(docker: docker)
        #expect(removed.contains("\(RuntimeImage.repository):\(other)"))
        let tags = try await docker.imageTags(repository: RuntimeImage.repository)
        #expect(!tags.contains("\(RuntimeImage.repository):\(other)") && tags.contains(RuntimeImage.reference), "\(tags)")
    }

    /// Mesh's seccomp profile (the default): the kernel interfaces it lists are refused.
    @Test func theKernelSurfaceIsClosed() async throws {
        let world = try await SandboxWorld.start("kernel")
        defer { world.stop() }
        let probe = try await MeshBinary.run(["run", "./kernelprobe"], environment: ["MESH_HOME": world.homeA.path],
                                       directory: world.dirA)
        #expect(probe.status == 0, "\(probe.stdout) \(probe.stderr)")
        #expect(probe.stdout.split(separator: "\n").filter { $0.hasSuffix(": refused") }.count == 8, "\(probe.stdout)")
        try await world.expectNoContainers("kernelprobe")
    }

    /// A program printing without end: `mesh run` passes on no more than the output limit
    /// (4 MiB), counted as the server reads it, and the program is stopped with the reason.
    @Test func aRunFloodingItsOutputIsStoppedAtTheOutputLimit() async throws {
        let world = try await SandboxWorld.start("flood")
        defer { world.stop() }
        let flood = try await MeshBinary.run(["run", "./flood"], environment: ["MESH_HOME": world.homeA.path], directory: world.dirA)
        #expect(flood.status == 137 && flood.stderr.contains("output limit"), "flood: \(flood.status) \(flood.stderr)")
        #expect(flood.stdout.hasPrefix("flood 0 "), "\(flood.stdout.prefix(80))")
        #expect(flood.stdout.utf8.count <= 4 << 20, "\(flood.stdout.utf8.count) bytes passed on")
        try await world.expectNoContainers("flood")
    }

    @Test func theSandboxHolds() async throws {
        let world = try await SandboxWorld.start("limits", serverArguments: [
            "--sandbox-memory-mb", "96", "--sandbox-pids", "64", "--sandbox-run-seconds", "8",
        ])
        defer { world.stop() }
        func run(_ arguments: [String]) async throws -> MeshBinary.Result {
            try await MeshBinary.run(["run"] + arguments, environment: ["MESH_HOME": world.homeA.path], directory: world.dirA)
        }
        // No network: not even the host's loopback (where the server listens) is reachable.
        let port = URL(string: world.server.url)!.port!
        let net = try await run(["./netprobe", "--", "-name", "mesh.invalid", "127.0.0.1:\(port)"])
        #expect(net.status == 0, "every network attempt failed: \(net.stdout) \(net.stderr)")
        try await world.expectNoContainers("netprobe")

        let fork = try await run(["./forkbomb"])
        #expect(fork.stdout.contains("forkbomb"), "forkbomb ran: \(fork.stdout) \(fork.stderr)")
        #expect(fork.status != 0 || fork.stdout.contains("stopped"), "the pids limit stopped it: \(fork.stdout)")
        try await world.expectNoContainers("forkbomb")

        let memory = try await run(["./memhog"])
        #expect(memory.status == 137 && memory.stderr.contains("out of memory"), "memhog: \(memory.status) \(memory.stderr)")
        try await world.expectNoContainers("memhog")

        let started = ContinuousClock.now
        let spin = try await run(["./spin"])
        #expect(spin.status == 137 && spin.stderr.contains("wall-clock limit"), "spin: \(spin.status) \(spin.stderr)")
        #expect(ContinuousClock.now - started < .seconds(40))
        try await world.expectNoContainers("spin")
    }

    @Test func noContainerSurvivesAKilledServer() async throws {
        let world = try await SandboxWorld.start("orphans")
        defer { world.stop() }
        // A long run, then kill -9 of the server while it runs.
        let home = world.homeA, dir = world.dirA
        let runner = Task.detached { try await MeshBinary.run(["run", "./spin"], environment: ["MESH_HOME": home.path], directory: dir) }
        // Running, not merely created: a kill while the server is still creating it is the
        // late-creation case the periodic sweep covers (Sandbox.sweepOrphans).
        func running() async throws -> Bool {
            for id in try await world.containers() {
                let state = try await world.docker.inspectContainer(id)?["State"] as? [String: Any]
                if state?["Running"] as? Bool == true { return true }
            }
            return false
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !running(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await running(), "the run's container runs")
        kill(world.server.process.processIdentifier, SIGKILL)
        let killed = world.server.process
        await offCooperativePool { killed.waitUntilExit() }
        _ = try? await runner.value
        // The restarted server (same data folder) removes what the dead one left.
        let again = MeshServerProcess(dataDirectory: world.root.appendingPathComponent("data"))
        try await again.start()
        defer { again.stop() }
        let log = { (try? String(contentsOf: again.logFile, encoding: .utf8)) ?? "" }
        try await world.expectNoContainers("a kill -9 and a restart (the restarted server's log: \(log()))")
    }
}
