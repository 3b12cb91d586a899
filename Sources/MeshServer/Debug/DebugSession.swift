import Foundation
import Logging
import MeshProtocol
import MeshSandbox
import MeshStore

/// One shared debug session: Delve (`dlv dap`) in a sandbox container with the session's live
/// code, and the participants attached to it. The server is Delve's only DAP client and fans
/// out: `seq` renumbered per participant, responses routed by `request_seq`, events to
/// everyone, the union of everyone's breakpoints per source, paths mapped per participant.
/// Viewers see everything but cannot step, continue or change state. A debug session whose
/// container runs ends when no participant with the editor role is left, and when the Mesh
/// session is deleted.
actor DebugSession {
    struct Participant {
        let id: UUID
        /// The account (one account may be connected more than once).
        let user: UUID
        let name: String
        var role: Role
        let paths: DAPPathMap
        let send: @Sendable (JSONValue) -> Void
        var nextSeq = 1
        /// Breakpoints this participant asked for, by container source path.
        var breakpoints: [String: [JSONValue]] = [:]
        var initialized = false
    }

    struct Pending {
        let participant: UUID
        let seq: Int
        let command: String
        /// For setBreakpoints: the lines the participant asked for.
        var requestedLines: [Int] = []
    }

    /// What a viewer may ask: requests that only read the program's state (an allow-list; every
    /// other command, `evaluate` among them since Delve can call functions, is refused).
    static let watchCommands: Set<String> = [
        "threads", "stackTrace", "scopes", "variables", "source", "loadedSources", "modules", "exceptionInfo",
        "breakpointLocations", "disassemble", "disconnect",
    ]

    let sessionID: UUID
    let workspace: SessionWorkspace
    let sandbox: Sandbox
    let logger: Logger
    let onEnd: @Sendable () async -> Void
    private var participants: [UUID: Participant] = [:]
    private var process: SandboxProcess?
    /// The relay's DAP stream (a Unix socket the relay dialed; the container's attached stdio has
    /// its stderr).
    private var relay: RelaySocket?
    private var starting: Task<(SandboxProcess, RelaySocket), any Error>?
    private var delveSeq = 1
    private var pending: [Int: Pending] = [:]
    private var initializeResponse: JSONValue?
    private var launched = false
    private var configured = false
    private var lastStopped: JSONValue?
    private var ended = false

    init(sessionID: UUID, workspace: SessionWorkspace, sandbox: Sandbox, logger: Logger, onEnd: @escaping @Sendable () async -> Void) {
        self.sessionID = sessionID
        self.workspace = workspace
        self.sandbox = sandbox
        self.logger = logger
        self.onEnd = onEnd
    }

    var isEmpty: Bool { participants.isEmpty }

    func join(id: UUID, user: UUID, name: String, role: Role, editorRoot: String, send: @escaping @Sendable (JSONValue) -> Void) {
        participants[id] = Participant(id: id, user: user, name: name, role: role, paths: DAPPathMap(editorRoot: editorRoot), send: send)
    }

    /// A participant's connection ended: only they are detached; the last one, or the last
    /// editor, ends the session.
    func leave(_ id: UUID) async {
        guard participants.removeValue(forKey: id) != nil else { return }
        pending = pending.filter { $0.value.participant != id }
        if participants.isEmpty { return await end() }
        await endIfNoEditor()
        if !ended { await resendBreakpoints() }
    }

    // MARK: From participants

    func received(_ message: JSONValue, from id: UUID) async {
        guard var participant = participants[id] else { return }
        guard message["type"]?.string == "request", let command = message["command"]?.string, let seq = message["seq"]?.int else {
            // Participants send requests; a response (to a reverse request) needs no answer.
            if message["type"]?.string != "response" {
                refuse("not a DAP request (it needs \"type\":\"request\", a \"command\" and a numeric \"seq\")", to: id)
            }
            return
        }
        if participant.role == .viewer, let refusal = viewerRefusal(command) {
            respond(to: id, seq: seq, command: command, error: refusal)
            return
        }
        let arguments = participant.paths.toContainer(message["arguments"] ?? [:])
        do {
            switch command {
            case "initialize":
                if let initializeResponse {
                    respond(to: id, seq: seq, command: command, body: initializeResponse)
                    participant.initialized = true
                    participants[id] = participant
                    sendEvent(["event": "initialized"], to: id)
                    return
                }
                try await ensureContainer(for: participant.user)
                forward(command, arguments, from: id, seq: seq)
            case "launch":
                if launched {
                    respond(to: id, seq: seq, command: command, body: .null)
                    if let lastStopped { sendEvent(lastStopped, to: id) }
                    return
                }
                launched = true
                try await workspace.write(session: sessionID)   // the live text, as of now
                var launch = arguments.object ?? [:]
                launch["output"] = "/tmp/__debug_bin"
                if launch["program"] == nil { launch["program"] = .string(DAPPathMap.containerRoot) }
                forward(command, .object(launch), from: id, seq: seq)
            case "attach":
                respond(to: id, seq: seq, command: command, error: "Mesh debug sessions are launched by the server; use a launch configuration")
            case "configurationDone":
                if configured { respond(to: id, seq: seq, command: command, body: .null); return }
                configured = true
                forward(command, arguments, from: id, seq: seq)
            case "setBreakpoints":
                guard let path = arguments["source"]?["path"]?.string else {
                    respond(to: id, seq: seq, command: command, error: "setBreakpoints needs source.path")
                    return
                }
                participant.breakpoints[path] = arguments["breakpoints"]?.array ?? []
                participants[id] = participant
                let lines = (arguments["breakpoints"]?.array ?? []).compactMap { $0["line"]?.int }
                forward(command, unionBreakpoints(arguments, path: path), from: id, seq: seq, requestedLines: lines)
            case "disconnect":
                respond(to: id, seq: seq, command: command, body: .null)
                await leave(id)
            default:
                forward(command, arguments, from: id, seq: seq)
            }
        } catch {
            respond(to: id, seq: seq, command: command, error: "\(error)")
        }
    }

    /// Why a viewer may not send `command` now, or nil. A viewer watches a debug session an
    /// editor started: joining it (`initialize`, `launch`, `configurationDone` once it runs) and
    /// reading its state, never starting, steering or changing it.
    private func viewerRefusal(_ command: String) -> String? {
        switch command {
        case _ where Self.watchCommands.contains(command): nil
        case "initialize": process == nil && starting == nil
            ? "no debug session is running in this Mesh session; viewers can join one an editor started" : nil
        case "launch": launched ? nil : "viewers cannot start the program; join once an editor has launched it"
        case "configurationDone": configured ? nil : "viewers cannot start the program; join once an editor has launched it"
        default: "viewers can watch this debug session but not control it (\(command))"
        }
    }

    /// A participant's role changed (or was read again): it applies to their next request.
    func setRole(_ role: Role, for id: UUID) async {
        guard participants[id] != nil, participants[id]?.role != role else { return }
        participants[id]?.role = role
        await endIfNoEditor()
    }

    /// A member's role changed, or they were removed (nil): every connection of theirs follows
    /// at once (their sockets close when they next read their membership).
    func memberChanged(user: UUID, role: Role?) async {
        let ids = participants.values.filter { $0.user == user }.map(\.id)
        for id in ids {
            if let role { await setRole(role, for: id) } else { await leave(id) }
        }
    }

    /// Ends the debug session for everyone, telling them why: an `output` event, then
    /// `terminated`.
    func terminate(_ reason: String) async {
        guard !ended else { return }
        broadcastEvent(["event": "output", "body": ["category": "important", "output": .string("Mesh: \(reason)\n")]])
        broadcastEvent(["event": "terminated"])
        await end()
    }

    /// A program nobody left may control is not kept running for its viewers.
    private func endIfNoEditor() async {
        guard !ended, !participants.isEmpty, process != nil || starting != nil,
              !participants.values.contains(where: { $0.role >= .editor })
        else { return }
        await terminate("no editor is left in this debug session (removed, made a viewer or gone), so it ended")
    }

    private func unionBreakpoints(_ arguments: JSONValue, path: String) -> JSONValue {
        var seen = Set<Int>()
        var union: [JSONValue] = []
        for participant in participants.values.sorted(by: { $0.id.uuidString < $1.id.uuidString }) {
            for breakpoint in participant.breakpoints[path] ?? [] {
                guard let line = breakpoint["line"]?.int, seen.insert(line).inserted else { continue }
                union.append(breakpoint)
            }
        }
        var object = arguments.object ?? [:]
        object["breakpoints"] = .array(union)
        object["lines"] = nil
        return .object(object)
    }

    /// After someone leaves, their breakpoints go.
    private func resendBreakpoints() async {
        guard process != nil else { return }
        let paths = Set(participants.values.flatMap { $0.breakpoints.keys })
        for path in paths {
            let seq = nextDelveSeq()
            sendToDelve(["seq": JSONValue(seq), "type": "request", "command": "setBreakpoints",
                         "arguments": unionBreakpoints(["source": ["path": .string(path)]], path: path)])
        }
    }

    private func forward(_ command: String, _ arguments: JSONValue, from id: UUID, seq: Int, requestedLines: [Int] = []) {
        let delve = nextDelveSeq()
        pending[delve] = Pending(participant: id, seq: seq, command: command, requestedLines: requestedLines)
        sendToDelve(["seq": JSONValue(delve), "type": "request", "command": .string(command), "arguments": arguments])
    }

    private func nextDelveSeq() -> Int {
        defer { delveSeq += 1 }
        return delveSeq
    }

    private func sendToDelve(_ message: JSONValue) {
        relay?.write(MessageFramer.frame(message.serialized()))
    }

    // MARK: From Delve

    /// Starts the container for `user` (who counts it against their cap) unless it runs.
    private func ensureContainer(for user: UUID) async throws {
        if process != nil { return }
        if ended { throw CancellationError() }   // e.g. the session was deleted
        if let starting {
            let started = try await starting.value
            if !ended { (process, relay) = started }   // else the first waiter has stopped it
            return
        }
        let tenant = SandboxTenant(session: sessionID, user: user)
        let task = Task { [sandbox, workspace, sessionID] in
            try await workspace.write(session: sessionID)
            return try await sandbox.startDebugRelay(workspace: workspace.root, tenant: tenant,
                                                     labels: ["dev.mesh.session": sessionID.uuidString, ContainerSpec.kindLabel: "debug"])
        }
        starting = task
        let result: (SandboxProcess, RelaySocket)
        do {
            result = try await task.value
        } catch {
            // Refused (e.g. the sandbox is busy) or failed: the next `initialize` tries afresh.
            if starting == task { starting = nil }
            throw error
        }
        let (started, socket) = result
        if ended {
            // The session ended (its last participant left) while the container was starting.
            socket.close()
            await started.kill(reason: .requested)
            throw CancellationError()
        }
        (process, relay) = (started, socket)
        Task { await self.pump(started, socket) }
    }

    private func pump(_ process: SandboxProcess, _ relay: RelaySocket) async {
        // DAP from the relay's socket, a whole message at a time and bounded (RelaySocket): it
        // ends when the relay exits, or at the first thing that is not a DAP message within the
        // limits (RelaySocket.failure), which ends the debug session.
        let messages = Task {
            for await content in relay.messages {
                guard let message = try? JSONValue.parse(content) else { continue }
                // The program's output counts against the container's output limit here, where
                // it is read, as the attached stdio does below: past it, it is dropped and the
                // container is killed (the end below says why).
                if let bytes = Self.outputBytes(of: message), !process.noteOutput(bytes) { continue }
                await self.fromDelve(message)
            }
            if let failure = relay.failure { await self.terminate("\(failure); the debug session ended") }
        }
        // The relay's own messages, and the container's end.
        for await chunk in process.stream.output {
            switch chunk {
            case let .stdout(data), let .stderr(data):
                guard process.noteOutput(data.count) else { continue }
                broadcastEvent(["event": "output", "body": ["category": "console", "output": .string(String(decoding: data, as: UTF8.self))]])
            }
        }
        // The relay has exited, so its socket ends once the last messages are read; a stray holder
        // of the socket gets 5 s.
        let deadline = Task {
            guard (try? await Task.sleep(for: .seconds(5))) != nil else { return }
            relay.close()
        }
        await messages.value
        deadline.cancel()
        let ending = await process.exited()
        logger.info("debug container ended", metadata: ["session": "\(sessionID)", "ending": "\(ending)"])
        if !ended {
            if case let .killed(reason) = ending {
                broadcastEvent(["event": "output", "body": ["category": "important", "output": .string("Mesh: the debug container was \(reason)\n")]])
            }
            broadcastEvent(["event": "terminated"])
            await end()
        }
    }

    /// What a message from Delve counts towards the container's output limit: an `output`
    /// event's text (the program's output, which mesh-relay turns into such events, or Delve's
    /// own); nil for every other message.
    static func outputBytes(of message: JSONValue) -> Int? {
        guard message["type"]?.string == "event", message["event"]?.string == "output" else { return nil }
        return message["body"]?["output"]?.string?.utf8.count ?? 0
    }

    private func fromDelve(_ message: JSONValue) {
        switch message["type"]?.string {
        case "response":
            guard let requestSeq = message["request_seq"]?.int, let route = pending.removeValue(forKey: requestSeq),
                  var participant = participants[route.participant]
            else { return }
            var body = message["body"] ?? .null
            if route.command == "initialize", message["success"]?.bool == true {
                initializeResponse = body
                participant.initialized = true
            }
            if route.command == "launch", message["success"]?.bool != true {
                // A launch that failed (a build error, refused build flags) can be fixed and
                // sent again; until one succeeds nothing is launched.
                launched = false
            }
            if route.command == "setBreakpoints" {
                // Answer with the participant's own breakpoints, in their order.
                let verified = body["breakpoints"]?.array ?? []
                let mine: [JSONValue] = route.requestedLines.map { line in
                    verified.first { $0["line"]?.int == line } ?? ["verified": false, "line": JSONValue(line)]
                }
                body = ["breakpoints": .array(mine)]
            }
            var object = message.object ?? [:]
            object["seq"] = JSONValue(participant.nextSeq)
            object["request_seq"] = JSONValue(route.seq)
            object["body"] = body
            participant.nextSeq += 1
            participants[route.participant] = participant
            participant.send(participant.paths.toEditor(.object(object)))
        case "event":
            let event = message["event"]?.string
            if event == "stopped" { lastStopped = message } else if event == "continued" || event == "terminated" { lastStopped = nil }
            if event == "initialized" {
                // Only the participant who initialized Delve waits for this; later ones got theirs.
                for id in participants.keys where participants[id]?.initialized == true { sendEvent(message, to: id) }
                return
            }
            broadcastEvent(message)
        default:
            break
        }
    }

    // MARK: To participants

    private func broadcastEvent(_ event: JSONValue) {
        for id in participants.keys { sendEvent(event, to: id) }
    }

    private func sendEvent(_ event: JSONValue, to id: UUID) {
        guard var participant = participants[id] else { return }
        var object = event.object ?? [:]
        object["type"] = "event"
        object["seq"] = JSONValue(participant.nextSeq)
        participant.nextSeq += 1
        participants[id] = participant
        participant.send(participant.paths.toEditor(.object(object)))
    }

    /// Tells a participant that a message of theirs was not understood and dropped (it had no
    /// `seq` to answer): an `output` event the editor shows in its debug console.
    func refuse(_ reason: String, to id: UUID) {
        sendEvent(["event": "output", "body": ["category": "console", "output": .string("Mesh: ignored a message: \(reason)\n")]], to: id)
    }

    private func respond(to id: UUID, seq: Int, command: String, body: JSONValue? = nil, error: String? = nil) {
        guard var participant = participants[id] else { return }
        var object: [String: JSONValue] = ["type": "response", "seq": JSONValue(participant.nextSeq), "request_seq": JSONValue(seq),
                                           "command": .string(command), "success": .bool(error == nil)]
        if let body, body != .null { object["body"] = body }
        if let error { object["message"] = .string(error); object["body"] = ["error": ["id": 1, "format": .string(error)]] }
        participant.nextSeq += 1
        participants[id] = participant
        participant.send(participant.paths.toEditor(.object(object)))
    }

    private func end() async {
        guard !ended else { return }
        ended = true
        if let process {
            sendToDelve(["seq": JSONValue(nextDelveSeq()), "type": "request", "command": "disconnect", "arguments": ["terminateDebuggee": true]])
            await process.kill(reason: .requested)
        }
        starting?.cancel()
        workspace.remove()
        await onEnd()
    }
}
