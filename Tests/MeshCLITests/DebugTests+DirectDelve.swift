import Foundation
import MeshClient
import MeshProtocol
import MeshSandbox
import MeshTestSupport
import Testing

/// `mesh dap` against `dlv dap` run directly on this machine: the same script gives the same
/// transcript.
extension DebugTests {
    /// What a debug session showed, ids and paths aside: comparable between adapters.
    struct Transcript: Equatable, CustomStringConvertible {
        var stops: [String] = []          // reason @ function:line
        var locals: [String] = []         // name=value at the first stop
        var evaluated = ""
        var output = ""
        var description: String { "stops \(stops)\nlocals \(locals)\nevaluated \(evaluated)\noutput \(String(reflecting: output))" }
    }

    /// One script: breakpoint in main, locals, evaluate, stepIn, stepOut, next, continue.
    func script(_ dap: DAPProcess, program: String, source: String, line: Int) async throws -> Transcript {
        var transcript = Transcript()
        _ = try await initialize(dap)
        _ = try await dap.request("launch", ["mode": "debug", "program": .string(program), "output": "/tmp/__debug_bin_cmp"], timeout: .seconds(120))
        _ = try await dap.event("initialized")
        _ = try await dap.request("setBreakpoints", ["source": ["path": .string(source)], "breakpoints": [["line": JSONValue(line)]]])
        _ = try await dap.request("configurationDone")
        func stop(_ index: Int) async throws -> JSONValue {
            let event = try await dap.event("stopped", occurrence: index, timeout: .seconds(120))
            let thread = event["body"]?["threadId"] ?? 1
            let stack = try await dap.request("stackTrace", ["threadId": thread])
            let top = stack["body"]?["stackFrames"]?[0] ?? .null
            transcript.stops.append("\(event["body"]?["reason"]?.string ?? "?") @ \(top["name"]?.string ?? "?"):\(top["line"]?.int ?? 0)")
            return ["thread": thread, "frame": top["id"] ?? 0]
        }
        let first = try await stop(0)
        let scopes = try await dap.request("scopes", ["frameId": first["frame"] ?? 0])
        if let locals = scopes["body"]?["scopes"]?.array?.first(where: { $0["name"]?.string?.lowercased().contains("local") == true }) {
            let variables = try await dap.request("variables", ["variablesReference": locals["variablesReference"] ?? 0])
            // Names of all locals; values of those that do not vary between runs (a map's order
            // and a not-yet-assigned variable's stack slot do).
            transcript.locals = (variables["body"]?["variables"]?.array ?? []).map { variable in
                let name = variable["name"]?.string ?? ""
                return ["p", "values", "results"].contains(name) ? "\(name)=\(variable["value"]?.string ?? "")" : name
            }.sorted()
        }
        transcript.evaluated = try await dap.request("evaluate", ["expression": "len(values) + p.X", "frameId": first["frame"] ?? 0, "context": "repl"])["body"]?["result"]?.string ?? ""
        let thread = first["thread"] ?? 1
        _ = try await dap.request("stepIn", ["threadId": thread]); _ = try await stop(1)
        _ = try await dap.request("stepOut", ["threadId": thread]); _ = try await stop(2)
        _ = try await dap.request("next", ["threadId": thread]); _ = try await stop(3)
        _ = try await dap.request("continue", ["threadId": thread])
        _ = try await dap.event("terminated", timeout: .seconds(60))
        _ = try? await dap.request("disconnect", ["terminateDebuggee": true], timeout: .seconds(10))
        // Sorted: stdout and stderr are separate pipes, so their lines interleave either way.
        transcript.output = dap.programOutput.split(separator: "\n").filter { $0.hasPrefix("debugme:") }.sorted().joined(separator: "\n")
        return transcript
    }

    @Test func meshDAPAnswersLikeADirectDelve() async throws {
        let world = try await SandboxWorld.start("dap-compare")
        defer { world.stop() }
        let package = world.dirA.appendingPathComponent("debugme")
        let main = package.appendingPathComponent("main.go")
        let line = try Self.line(of: "BREAK HERE", in: main)

        let viaMesh = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap.log"))
        defer { viaMesh.close() }
        let mesh = try await script(viaMesh, program: package.path, source: main.path, line: line)

        // The same script against `dlv dap` on this machine, in the same folder.
        let port = Int.random(in: 20_000..<40_000)
        let dlv = Process()
        dlv.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        dlv.arguments = ["dlv", "dap", "--listen=127.0.0.1:\(port)"]
        dlv.currentDirectoryURL = package
        let out = Pipe()
        dlv.standardOutput = out
        dlv.standardError = out
        dlv.standardInput = FileHandle.nullDevice
        try dlv.run()
        defer { if dlv.isRunning { dlv.terminate() } }
        let listening = LineWaiter(out.fileHandleForReading, marker: "listening")
        guard await listening.wait(timeout: .seconds(30)) else { throw TestFailure("dlv dap did not start: \(listening.text)") }
        let direct = try DAPProcess(connectingTo: port)
        defer { direct.close() }
        var reference = try await script(direct, program: package.path, source: main.path, line: line)
        // Delve prints the program's output on its own stdio (mesh-relay turns it into events).
        reference.output = listening.text.split(separator: "\n").filter { $0.hasPrefix("debugme:") }.sorted().joined(separator: "\n")
        #expect(mesh == reference, "through mesh:\n\(mesh)\ndirect:\n\(reference)")
        #expect(mesh.stops.count == 4 && mesh.evaluated == "8")
        try await world.expectNoContainers("the compared session")
    }
}

/// Collects a pipe's output and waits for a marker in it.
final class LineWaiter: @unchecked Sendable {
    private let lock = NSLock()
    private var collected = ""
    let marker: String

    init(_ handle: FileHandle, marker: String) {
        self.marker = marker
        DescriptorReader.start(handle, name: "waiting for \(marker)") { [weak self] data in
            self?.lock.withLock { self?.collected += String(decoding: data, as: UTF8.self) }
        }
    }

    var text: String { lock.withLock { collected } }

    func wait(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if text.contains(marker) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
