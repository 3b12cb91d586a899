import Foundation
import MeshClient
import MeshProtocol
import MeshSandbox
import MeshTestSupport
import Testing

/// `mesh dap` end to end: Delve in a sandbox container, driven through the server by editors'
/// DAP clients; the debugged code is the live shared text.
@Suite(.serialized, .timeLimit(.minutes(10))) struct DebugTests {
    /// The 1-based line of a marker comment in a fixture file.
    static func line(of marker: String, in file: URL) throws -> Int {
        let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.contains(marker) }) else { throw TestFailure("no \(marker) in \(file.path)") }
        return index + 1
    }

    func initialize(_ dap: DAPProcess) async throws -> JSONValue {
        try await dap.request("initialize", ["clientID": "mesh-test", "adapterID": "go", "linesStartAt1": true,
                                             "columnsStartAt1": true, "pathFormat": "path"])
    }

    /// DAP traffic on the relay's socket keeps a debug container alive; silence past the idle
    /// limit ends it, and every participant is told why.
    @Test func dapTrafficKeepsTheIdleLimitAwayAndSilenceEndsTheSession() async throws {
        // An idle limit of 10 s: on a loaded CI machine one answer was seen to take longer than 5.
        let world = try await SandboxWorld.start("dap-idle", serverArguments: ["--sandbox-idle-seconds", "10"])
        defer { world.stop() }
        let dap = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-idle.log"))
        defer { dap.close() }
        #expect(try await initialize(dap)["success"]?.bool == true)
        // Twenty seconds of requests a second apart: twice the idle limit, never idle for long.
        for _ in 0..<20 {
            try await Task.sleep(for: .seconds(1))
            let threads = try await dap.request("threads")
            #expect(threads["type"]?.string == "response", "\(threads)")
        }
        #expect(!dap.eventNames.contains("terminated"), "ended while busy: \(dap.eventNames)")
        // Then silence.
        _ = try await dap.event("terminated", timeout: .seconds(40))
        #expect(dap.outputs.contains { $0.contains("idle limit reached") }, "\(dap.outputs)")
        try await world.expectNoContainers("the idle session")
    }

    /// The server going away mid-session (`kill -9`) ends the editor's debug session with the
    /// reason instead of leaving it waiting; a restart removes the container and any relay-socket
    /// folder the dead server left. A running debug session keeps nothing on the host: its
    /// socket's folder goes once the relay has connected.
    @Test func aServerCrashEndsTheEditorsDebugSession() async throws {
        let world = try await SandboxWorld.start("dap-crash")
        defer { world.stop() }
        let dap = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-crash.log"))
        defer { dap.close() }
        #expect(try await initialize(dap)["success"]?.bool == true)
        #expect(try await !world.containers().isEmpty, "the debug container runs")
        func relayFolders() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("mesh-dap-\(world.instance.prefix(12))-") }
        }
        #expect(try relayFolders().isEmpty, "the relay's socket folder is gone once the relay has connected")
        // What a server killed while a debug container started would leave: its socket folder.
        let leftover = "/tmp/mesh-dap-\(world.instance.prefix(12))-deadbeef"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: leftover) }
        #expect(try relayFolders() == ["mesh-dap-\(world.instance.prefix(12))-deadbeef"])
        kill(world.server.process.processIdentifier, SIGKILL)
        let killed = world.server.process
        await offCooperativePool { killed.waitUntilExit() }
        _ = try await dap.event("terminated", timeout: .seconds(20))
        #expect(dap.outputs.contains { $0.hasPrefix("Mesh: the connection to the server ended") }, "\(dap.outputs)")
        let again = MeshServerProcess(dataDirectory: world.root.appendingPathComponent("data"))
        try await again.start()
        defer { again.stop() }
        try await world.expectNoContainers("a kill -9 during a debug session and a restart")
        let deadline = ContinuousClock.now + .seconds(10)   // removed right after the containers
        while try !relayFolders().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try relayFolders().isEmpty, "the restart removes the dead server's relay folder")
    }

    /// A debuggee printing without end: its output, which reaches the server as DAP events over
    /// the relay's socket, counts against the container's output limit (4 MiB) where the server
    /// reads it, and the debug session ends with the reason instead of flooding the participants.
    @Test func aDebuggeeFloodingItsOutputIsStoppedAtTheOutputLimit() async throws {
        let world = try await SandboxWorld.start("dap-flood")
        defer { world.stop() }
        let dap = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-flood.log"))
        defer { dap.close() }
        #expect(try await initialize(dap)["success"]?.bool == true)
        let launch = try await dap.request("launch", ["mode": "debug", "program": .string(world.dirA.appendingPathComponent("flood").path)],
                                           timeout: .seconds(120))
        #expect(launch["success"]?.bool == true, "launch: \(launch)")
        _ = try await dap.event("initialized")
        _ = try await dap.request("configurationDone")
        _ = try await dap.event("terminated", timeout: .seconds(120))
        #expect(dap.outputs.contains { $0.contains("output limit reached") }, "\(dap.outputs.suffix(3))")
        let printed = dap.programOutput.utf8.count
        #expect(printed > 1 << 20 && printed <= (4 << 20) + 4096, "\(printed) bytes of output passed on")
        try await world.expectNoContainers("the flooding debuggee")
    }

    /// Issue "safe for strangers": dlv built debug launches into the session's build cache,
    /// and the debuggee could write there for as long as it ran. The relay builds now and runs
    /// dlv confined: the debuggee's write into the cache is refused, and build flags that would
    /// make the (unconfined) build run code are refused before anything is built.
    @Test func aDebuggeeCannotWriteTheBuildCache() async throws {
        let world = try await SandboxWorld.start("dap-cache")
        defer { world.stop() }
        let dap = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-cache.log"))
        defer { dap.close() }
        #expect(try await initialize(dap)["success"]?.bool == true)
        let program = JSONValue.string(world.dirA.appendingPathComponent("cacheprobe").path)
        let refused = try await dap.request("launch", ["mode": "debug", "program": program,
                                                       "buildFlags": "-toolexec=/workspace/cacheprobe/evil"], timeout: .seconds(120))
        #expect(refused["success"]?.bool == false, "\(refused)")
        #expect("\(refused)".contains("not allowed"), "\(refused)")
        let launch = try await dap.request("launch", ["mode": "debug", "program": program, "args": ["plant", "debuggee"],
                                                      "buildFlags": "-tags mesh"], timeout: .seconds(120))
        #expect(launch["success"]?.bool == true, "launch: \(launch)")
        _ = try await dap.event("initialized")
        _ = try await dap.request("configurationDone")
        _ = try await dap.event("terminated", timeout: .seconds(120))
        #expect(dap.programOutput.contains("plant failed") && dap.programOutput.contains("permission denied"),
                "\(dap.programOutput)")
        _ = try? await dap.request("disconnect", ["terminateDebuggee": true], timeout: .seconds(10))
        await dap.closed()
        try await world.expectNoContainers("the debug session")
    }

    @Test func aWholeDebugSessionThroughMeshDAP() async throws {
        let world = try await SandboxWorld.start("dap")
        defer { world.stop() }
        let main = world.dirA.appendingPathComponent("debugme/main.go")
        let breakHere = try Self.line(of: "BREAK HERE", in: main)
        let breakHelper = try Self.line(of: "BREAK HELPER", in: main)
        // An unsaved edit by Bob is what runs.
        try await world.bobReplaces("debugme: start", with: "debugme: live start", in: "debugme/main.go")

        let dap = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-a.log"))
        defer { dap.close() }
        let initialized = try await initialize(dap)
        #expect(initialized["success"]?.bool == true, "initialize: \(initialized)")
        #expect(initialized["body"]?["supportsConfigurationDoneRequest"]?.bool == true)
        let launch = try await dap.request("launch", ["mode": "debug", "program": .string(world.dirA.appendingPathComponent("debugme").path)],
                                           timeout: .seconds(120))
        #expect(launch["success"]?.bool == true, "launch: \(launch) output: \(dap.programOutput)")
        _ = try await dap.event("initialized")
        let breakpoints = try await dap.request("setBreakpoints", ["source": ["path": .string(main.path)],
                                                                   "breakpoints": [["line": JSONValue(breakHere)]]])
        #expect(breakpoints["body"]?["breakpoints"]?[0]?["verified"]?.bool == true, "setBreakpoints: \(breakpoints)")
        #expect(try await dap.request("configurationDone")["success"]?.bool == true)

        let stopped = try await dap.event("stopped", timeout: .seconds(120))
        #expect(stopped["body"]?["reason"]?.string == "breakpoint")
        let thread = stopped["body"]?["threadId"] ?? 1
        let stack = try await dap.request("stackTrace", ["threadId": thread])
        let top = try #require(stack["body"]?["stackFrames"]?[0])
        #expect(top["source"]?["path"]?.string == main.path, "paths are mapped back to the editor's folder: \(top)")
        #expect(top["line"]?.int == breakHere)
        let scopes = try await dap.request("scopes", ["frameId": top["id"] ?? 0])
        let locals = try #require(scopes["body"]?["scopes"]?.array?.first { $0["name"]?.string?.lowercased().contains("local") == true })
        let variables = try await dap.request("variables", ["variablesReference": locals["variablesReference"] ?? 0])
        let names = Set(variables["body"]?["variables"]?.array?.compactMap { $0["name"]?.string } ?? [])
        #expect(names.isSuperset(of: ["p", "values", "counts", "results"]), "locals: \(names)")
        let evaluated = try await dap.request("evaluate", ["expression": "len(values) + p.X", "frameId": top["id"] ?? 0, "context": "repl"])
        #expect(evaluated["body"]?["result"]?.string == "8", "evaluate: \(evaluated)")
        #expect(dap.programOutput.contains("debugme: live start"), "the live text runs; output: \(dap.programOutput)")

        // stepIn goes into total(), stepOut comes back, next moves on.
        _ = try await dap.request("stepIn", ["threadId": thread])
        let inHelper = try await dap.event("stopped", occurrence: 1)
        let helperTop = try await dap.request("stackTrace", ["threadId": inHelper["body"]?["threadId"] ?? thread])
        #expect(helperTop["body"]?["stackFrames"]?[0]?["name"]?.string?.hasSuffix("total") == true, "stepIn: \(helperTop)")
        #expect((helperTop["body"]?["stackFrames"]?[0]?["line"]?.int ?? 0) >= breakHelper - 1)
        _ = try await dap.request("stepOut", ["threadId": thread])
        _ = try await dap.event("stopped", occurrence: 2)
        _ = try await dap.request("next", ["threadId": thread])
        _ = try await dap.event("stopped", occurrence: 3)
        _ = try await dap.request("continue", ["threadId": thread])
        _ = try await dap.event("terminated", timeout: .seconds(60))
        #expect(dap.programOutput.contains("debugme: point={X:3 Y:4 Label:origin+} sum=15"), "output: \(dap.programOutput)")
        _ = try? await dap.request("disconnect", ["terminateDebuggee": true], timeout: .seconds(10))
        try await world.expectNoContainers("the debug session")
    }

    @Test func twoParticipantsShareOneDebugSession() async throws {
        let world = try await SandboxWorld.start("dap-shared")
        defer { world.stop() }
        let mainA = world.dirA.appendingPathComponent("debugme/main.go")
        let mainB = world.dirB.appendingPathComponent("debugme/main.go")
        let breakHere = try Self.line(of: "BREAK HERE", in: mainA)
        let breakHelper = try Self.line(of: "BREAK HELPER", in: mainA)

        let ann = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-a.log"))
        let bob = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-b.log"))
        defer { ann.close(); bob.close() }
        _ = try await initialize(ann)
        _ = try await ann.request("launch", ["mode": "debug", "program": .string(world.dirA.appendingPathComponent("debugme").path)],
                                  timeout: .seconds(120))
        _ = try await ann.event("initialized")
        _ = try await ann.request("setBreakpoints", ["source": ["path": .string(mainA.path)], "breakpoints": [["line": JSONValue(breakHere)]]])
        // Bob (an editor) joins the same session and sets a breakpoint of his own, in his folder.
        #expect(try await initialize(bob)["success"]?.bool == true)
        _ = try await bob.event("initialized")
        #expect(try await bob.request("launch", ["mode": "debug", "program": .string(world.dirB.appendingPathComponent("debugme").path)])["success"]?.bool == true)
        let bobs = try await bob.request("setBreakpoints", ["source": ["path": .string(mainB.path)], "breakpoints": [["line": JSONValue(breakHelper)]]])
        #expect(bobs["body"]?["breakpoints"]?[0]?["verified"]?.bool == true, "Bob's breakpoint: \(bobs)")
        _ = try await ann.request("configurationDone")

        // Both see the stop at Ann's breakpoint, each with paths in their own folder.
        let first = try await ann.event("stopped", timeout: .seconds(120))
        _ = try await bob.event("stopped", timeout: .seconds(30))
        let thread = first["body"]?["threadId"] ?? 1
        let bobStack = try await bob.request("stackTrace", ["threadId": thread])
        #expect(bobStack["body"]?["stackFrames"]?[0]?["source"]?["path"]?.string == mainB.path, "Bob's paths: \(bobStack)")
        #expect(bobStack["body"]?["stackFrames"]?[0]?["line"]?.int == breakHere)
        // Ann makes Bob a viewer: within a second of the change he can watch, not steer.
        _ = try await world.api(world.homeA).setRole(session: world.session, user: world.bobID, role: .viewer)
        try await Task.sleep(for: .seconds(2))   // the server reads the role again every second
        let refused = try await bob.request("next", ["threadId": thread])
        #expect(refused["success"]?.bool == false && refused["message"]?.string?.contains("viewers") == true, "\(refused)")
        for (command, arguments) in [("setBreakpoints", ["source": ["path": JSONValue.string(mainB.path)], "breakpoints": [["line": JSONValue(breakHere + 1)]]] as JSONValue),
                                     ("evaluate", ["expression": "len(values)", "context": "repl"]),
                                     ("continue", ["threadId": thread]), ("setVariable", ["variablesReference": 1, "name": "p", "value": "1"])] {
            let answer = try await bob.request(command, arguments)
            #expect(answer["success"]?.bool == false && answer["message"]?.string?.contains("viewers") == true, "viewer \(command): \(answer)")
        }
        let watched = try await bob.request("stackTrace", ["threadId": thread])
        #expect(watched["success"]?.bool == true, "a viewer still watches: \(watched)")
        // Malformed input is reported in the debug console and changes nothing.
        bob.sendRaw("{\"seq\": 1, \"type\": ")
        bob.sendRaw(#"{"type":"event","event":"stopped"}"#)
        let deadline = ContinuousClock.now + .seconds(15)
        func refusals() -> [String] { bob.outputs.filter { $0.hasPrefix("Mesh: ignored a message: ") } }
        while refusals().count < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(refusals().count == 2, "\(bob.outputs)")
        #expect(refusals().first?.contains("not valid JSON (malformed JSON at byte") == true, "\(refusals())")
        #expect(refusals().last?.contains("not a DAP request") == true, "\(refusals())")
        #expect(!ann.outputs.contains { $0.contains("Mesh: ignored") }, "only the sender hears about it")
        // Ann continues: Bob's breakpoint in total() applies to everyone.
        _ = try await ann.request("continue", ["threadId": thread])
        _ = try await ann.event("stopped", occurrence: 1, timeout: .seconds(30))
        let second = try await bob.event("stopped", occurrence: 1, timeout: .seconds(30))
        let stack = try await ann.request("stackTrace", ["threadId": second["body"]?["threadId"] ?? thread])
        #expect(stack["body"]?["stackFrames"]?[0]?["line"]?.int == breakHelper, "stopped at Bob's breakpoint: \(stack)")
        // Bob leaves: only he is detached.
        _ = try await bob.request("disconnect")
        _ = try await ann.request("continue", ["threadId": thread])
        _ = try await ann.event("terminated", timeout: .seconds(60))
        _ = try? await ann.request("disconnect", ["terminateDebuggee": true], timeout: .seconds(10))
        try await world.expectNoContainers("the shared debug session")
    }

    /// Issue 11: a viewer ran `mesh dap` and sent `launch`, and the server built and ran the
    /// session's program. A viewer can join a debug session an editor started, never start one.
    @Test func viewerCannotStartTheProgram() async throws {
        let world = try await SandboxWorld.start("dap-viewer")
        defer { world.stop() }
        _ = try await world.api(world.homeA).setRole(session: world.session, user: world.bobID, role: .viewer)
        let bob = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-viewer.log"))
        defer { bob.close() }
        let initialized = try await bob.request("initialize", ["adapterID": "mesh", "pathFormat": "path", "linesStartAt1": true, "columnsStartAt1": true])
        #expect(initialized["success"]?.bool == false && initialized["message"]?.string?.contains("viewers") == true, "\(initialized)")
        let launch = try await bob.request("launch", ["mode": "debug", "program": .string(world.dirB.appendingPathComponent("debugme").path)])
        #expect(launch["success"]?.bool == false && launch["message"]?.string?.contains("viewers") == true, "\(launch)")
        let configured = try await bob.request("configurationDone")
        #expect(configured["success"]?.bool == false, "\(configured)")
        try await Task.sleep(for: .seconds(2))
        #expect(!bob.programOutput.contains("debugme"), "the program never ran: \(bob.programOutput)")
        _ = try? await bob.request("disconnect", timeout: .seconds(10))
        try await world.expectNoContainers("a viewer's refused debug session")
    }

    /// The server closes a debug socket that sends a message over `--max-frame-bytes`, and the
    /// editor's debug session would end with it. `mesh dap` sends none: it answers a request
    /// too large with a failure of its own, says so in the debug console for any other
    /// message, and the session goes on. (Bob is a viewer: the server answers him without a
    /// container.)
    @Test func aDAPMessageLargerThanTheServerTakesIsRefusedNotSent() async throws {
        let world = try await SandboxWorld.start("dap-large", serverArguments: ["--max-frame-bytes", "65536"])
        defer { world.stop() }
        _ = try await world.api(world.homeA).setRole(session: world.session, user: world.bobID, role: .viewer)
        let bob = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-large.log"))
        defer { bob.close() }
        let pad = String(repeating: "x", count: 100_000)
        let big = try await bob.request("evaluate", ["expression": .string(pad), "context": "repl"], timeout: .seconds(20))
        #expect(big["success"]?.bool == false
                && big["message"]?.string?.contains("larger than the server takes (65536 bytes)") == true, "\(big)")
        bob.sendRaw(#"{"seq":90,"type":"event","event":"padding","body":{"pad":"\#(pad)"}}"#)
        try await eventually("the debug console says the event was not sent") {
            bob.outputs.contains { $0.contains("larger than the server takes") }
        }
        // Still connected: the server answers the next request (refusing a viewer's initialize).
        let initialized = try await bob.request("initialize", ["adapterID": "mesh", "pathFormat": "path", "linesStartAt1": true,
                                                               "columnsStartAt1": true], timeout: .seconds(20))
        #expect(initialized["success"]?.bool == false && initialized["message"]?.string?.contains("viewers") == true, "\(initialized)")
        #expect(!bob.eventNames.contains("terminated"), "the debug session ended: \(bob.outputs)")
        _ = try? await bob.request("disconnect", timeout: .seconds(10))
    }

    @Test func testModeStopsInATest() async throws {
        let world = try await SandboxWorld.start("dap-test")
        defer { world.stop() }
        let package = world.dirA.appendingPathComponent("debugme")
        let testFile = package.appendingPathComponent("debugme_test.go")
        let line = try Self.line(of: "BREAK TEST", in: testFile)
        let dap = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap.log"))
        defer { dap.close() }
        _ = try await initialize(dap)
        let launch = try await dap.request("launch", ["mode": "test", "program": .string(package.path)], timeout: .seconds(120))
        #expect(launch["success"]?.bool == true, "launch: \(launch) \(dap.programOutput)")
        _ = try await dap.event("initialized")
        _ = try await dap.request("setBreakpoints", ["source": ["path": .string(testFile.path)], "breakpoints": [["line": JSONValue(line)]]])
        _ = try await dap.request("configurationDone")
        let stopped = try await dap.event("stopped", timeout: .seconds(120))
        let stack = try await dap.request("stackTrace", ["threadId": stopped["body"]?["threadId"] ?? 1])
        #expect(stack["body"]?["stackFrames"]?[0]?["source"]?["path"]?.string == testFile.path)
        #expect(stack["body"]?["stackFrames"]?[0]?["line"]?.int == line)
        _ = try await dap.request("continue", ["threadId": stopped["body"]?["threadId"] ?? 1])
        _ = try await dap.event("terminated", timeout: .seconds(60))
        _ = try? await dap.request("disconnect", ["terminateDebuggee": true], timeout: .seconds(10))
        try await world.expectNoContainers("the test-mode session")
    }
}
