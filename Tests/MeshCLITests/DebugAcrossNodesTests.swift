import Foundation
import MeshClient
import MeshProtocol
import MeshSandbox
import MeshTestSupport
import Testing

/// Issue 14, debugging across nodes: two `mesh serve` nodes on one PostgreSQL database. Ann's
/// `mesh dap` reaches node 1, Bob's node 2: they share one debug session, run by node 1 (the
/// first to claim it), Bob's messages travelling through the database. When node 1 dies, Bob is
/// told and launches again on node 2; node 1's container goes when node 1 comes back.
@Suite(.serialized, .timeLimit(.minutes(10))) struct DebugAcrossNodesTests {
    func initialize(_ dap: DAPProcess) async throws -> JSONValue {
        try await dap.request("initialize", ["clientID": "mesh-test", "adapterID": "go", "linesStartAt1": true,
                                             "columnsStartAt1": true, "pathFormat": "path"])
    }

    @Test func aParticipantOnAnotherNodeJoinsTheDebugSessionAndRelaunchesWhenItsNodeDies() async throws {
        let database = try await createPostgresTestDatabase(prefix: "mesh_dap_")
        let world = try await SandboxWorld.start("dap-nodes", serverArguments: ["--database-url", database])
        defer { world.stop() }
        // Node 2: the same database and signing secret, its own data folder (and containers).
        let data2 = world.root.appendingPathComponent("data2")
        try FileManager.default.createDirectory(at: data2, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: world.root.appendingPathComponent("data/jwt-secret"),
                                         to: data2.appendingPathComponent("jwt-secret"))
        let node2 = MeshServerProcess(dataDirectory: data2, extraArguments: ["--database-url", database])
        try await node2.start()
        defer { node2.stop() }
        // Bob works through node 2.
        let login = try await SandboxWorld.mesh(["login", "--email", "bob@example.test", "--password-stdin", "--server", node2.url],
                                          home: world.homeB, stdin: "password of Bob\n")
        #expect(login.status == 0, "\(login.stderr)")
        let sessionFile = world.dirB.appendingPathComponent(".mesh/session.json")
        var file = try JSONDecoder().decode(SessionFile.self, from: Data(contentsOf: sessionFile))
        file.server = node2.url
        try JSONEncoder().encode(file).write(to: sessionFile)
        // The nodes hear each other (heartbeats) before Bob's node looks for the debug session's owner.
        try await Task.sleep(for: .seconds(3))

        let mainA = world.dirA.appendingPathComponent("debugme/main.go")
        let mainB = world.dirB.appendingPathComponent("debugme/main.go")
        let breakHere = try DebugTests.line(of: "BREAK HERE", in: mainA)
        let ann = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-a.log"))
        defer { ann.close() }
        _ = try await initialize(ann)
        _ = try await ann.request("launch", ["mode": "debug", "program": .string(world.dirA.appendingPathComponent("debugme").path)],
                                  timeout: .seconds(120))
        _ = try await ann.event("initialized")
        _ = try await ann.request("setBreakpoints", ["source": ["path": .string(mainA.path)], "breakpoints": [["line": JSONValue(breakHere)]]])
        // Bob's `mesh dap` starts once Ann's debug session runs on node 1 (the first to connect
        // runs it: had Bob's connected first, node 2 would).
        let bob = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-b.log"))
        defer { bob.close() }
        #expect(try await initialize(bob)["success"]?.bool == true)
        _ = try await bob.event("initialized")
        #expect(try await bob.request("launch", ["mode": "debug", "program": .string(world.dirB.appendingPathComponent("debugme").path)])["success"]?.bool == true)
        _ = try await ann.request("configurationDone")
        let stop = try await ann.event("stopped", timeout: .seconds(120))
        _ = try await bob.event("stopped", timeout: .seconds(30))
        let bobStack = try await bob.request("stackTrace", ["threadId": stop["body"]?["threadId"] ?? 1])
        #expect(bobStack["body"]?["stackFrames"]?[0]?["source"]?["path"]?.string == mainB.path, "Bob's paths on node 2: \(bobStack)")
        #expect(bobStack["body"]?["stackFrames"]?[0]?["line"]?.int == breakHere)
        // One container, node 1's: Bob's node runs none.
        let node2Instance = DocumentHash.of(data2.standardizedFileURL.path)
        let node1Containers = try await world.containers()
        let node2Containers = try await world.docker.containers(label: "\(ContainerSpec.managedLabel)=\(node2Instance)")
        #expect(node1Containers.count == 1 && node2Containers.isEmpty,
                "node 1 runs \(node1Containers), node 2 \(node2Containers); logs: \(world.root.path)")

        // Node 1 dies: Bob is told, and his launch starts the session again on node 2.
        kill(world.server.process.processIdentifier, SIGKILL)
        _ = try await bob.event("terminated", timeout: .seconds(30))
        #expect(bob.outputs.contains { $0.contains("the server running this debug session stopped") }, "\(bob.outputs)")
        await bob.closed()
        let again = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-b2.log"))
        defer { again.close() }
        _ = try await initialize(again)
        _ = try await again.request("launch", ["mode": "debug", "program": .string(world.dirB.appendingPathComponent("debugme").path)],
                                    timeout: .seconds(120))
        _ = try await again.event("initialized")
        _ = try await again.request("setBreakpoints", ["source": ["path": .string(mainB.path)], "breakpoints": [["line": JSONValue(breakHere)]]])
        _ = try await again.request("configurationDone")
        _ = try await again.event("stopped", timeout: .seconds(120))
        _ = try? await again.request("disconnect", ["terminateDebuggee": true], timeout: .seconds(10))
        #expect(try await eventually(timeout: .seconds(20)) {
            try await world.docker.containers(label: "\(ContainerSpec.managedLabel)=\(node2Instance)").isEmpty
        }, "node 2's container is removed when its debug session ends")
        // Node 1 restarts on its data folder: the container its death left is removed.
        let restarted = MeshServerProcess(dataDirectory: world.root.appendingPathComponent("data"), extraArguments: ["--database-url", database])
        try await restarted.start()
        defer { restarted.stop() }
        try await world.expectNoContainers("node 1's restart")
    }
}
