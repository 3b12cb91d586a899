import Foundation
import MeshProtocol

/// The DAP routing of one shared debug session, with no I/O: a participant's message or
/// Delve's goes in, what to send (or wait for) comes out as ``Action``s, which ``DebugSession``
/// performs. The server is Delve's only client: `seq` is renumbered per participant, responses
/// go back by `request_seq` to whoever asked, events go to everyone, breakpoints are the union
/// of everyone's per source (each answered with their own), paths are mapped per participant,
/// and viewers only read the program's state.
struct DebugRouter {
    /// What ``DebugSession`` does, in order.
    enum Action: Equatable, Sendable {
        /// A DAP message for Delve (dropped while no container runs).
        case toDelve(JSONValue)
        /// A DAP message for one participant, its paths in their editor's folder.
        case toParticipant(UUID, JSONValue)
        /// Start the debug container (counted against `user`) unless it runs, then
        /// ``DebugRouter/resume(_:)`` the request, or ``DebugRouter/failed(_:error:)``.
        case needContainer(user: UUID, then: Request)
        /// Write the session's live text into the workspace, then ``DebugRouter/resume(_:)`` the
        /// request, or ``DebugRouter/failed(_:error:)``.
        case writeWorkspace(then: Request)
        /// The participant's `disconnect` was answered: they leave.
        case leave(UUID)
    }

    /// A participant's request that reaches Delve once the container or the workspace is ready.
    struct Request: Equatable, Sendable {
        let participant: UUID
        let seq: Int
        let command: String
        /// In the container's paths.
        let arguments: JSONValue
    }

    struct Participant {
        let id: UUID
        /// The account (one account may be connected more than once).
        let user: UUID
        let name: String
        var role: Role
        let paths: DAPPathMap
        var nextSeq = 1
        /// Breakpoints this participant asked for, by container source path.
        var breakpoints: [String: [JSONValue]] = [:]
        var initialized = false
    }

    /// A request Delve has not answered yet, by Delve's `seq`.
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

    private var participants: [UUID: Participant] = [:]
    private var delveSeq = 1
    private var pending: [Int: Pending] = [:]
    private var initializeResponse: JSONValue?
    private var launched = false
    private var configured = false
    private var lastStopped: JSONValue?

    var isEmpty: Bool { participants.isEmpty }

    /// Whether a participant with the editor role (or the owner's) is attached.
    var hasEditor: Bool { participants.values.contains { $0.role >= .editor } }

    /// The connections of one account.
    func participantIDs(of user: UUID) -> [UUID] {
        participants.values.filter { $0.user == user }.map(\.id)
    }

    mutating func join(id: UUID, user: UUID, name: String, role: Role, editorRoot: String) {
        participants[id] = Participant(id: id, user: user, name: name, role: role, paths: DAPPathMap(editorRoot: editorRoot))
    }

    /// Detaches a participant and forgets their requests in flight; false if they were not attached.
    mutating func leave(_ id: UUID) -> Bool {
        guard participants.removeValue(forKey: id) != nil else { return false }
        pending = pending.filter { $0.value.participant != id }
        return true
    }

    /// A participant's role, applied to their next request; true if it changed.
    mutating func setRole(_ role: Role, for id: UUID) -> Bool {
        guard participants[id] != nil, participants[id]?.role != role else { return false }
        participants[id]?.role = role
        return true
    }

    // MARK: From participants

    /// A DAP message from a participant. `containerActive`: whether the debug container runs or
    /// is starting (a viewer may only join a debug session an editor started).
    mutating func received(_ message: JSONValue, from id: UUID, containerActive: Bool) -> [Action] {
        guard var participant = participants[id] else { return [] }
        guard message["type"]?.string == "request", let command = message["command"]?.string, let seq = message["seq"]?.int else {
            // Participants send requests; a response (to a reverse request) needs no answer.
            if message["type"]?.string == "response" { return [] }
            return refuse("not a DAP request (it needs \"type\":\"request\", a \"command\" and a numeric \"seq\")", to: id)
        }
        if participant.role == .viewer, let refusal = viewerRefusal(command, containerActive: containerActive) {
            return respond(to: id, seq: seq, command: command, error: refusal)
        }
        let arguments = participant.paths.toContainer(message["arguments"] ?? [:])
        switch command {
        case "initialize":
            if let initializeResponse {
                var actions = respond(to: id, seq: seq, command: command, body: initializeResponse)
                participants[id]?.initialized = true   // not the copy from before the response: its seq is used
                actions += sendEvent(["event": "initialized"], to: id)
                return actions
            }
            return [.needContainer(user: participant.user, then: Request(participant: id, seq: seq, command: command, arguments: arguments))]
        case "launch":
            if launched {
                var actions = respond(to: id, seq: seq, command: command, body: .null)
                if let lastStopped { actions += sendEvent(lastStopped, to: id) }
                return actions
            }
            launched = true
            var launch = arguments.object ?? [:]
            launch["output"] = "/tmp/__debug_bin"
            if launch["program"] == nil { launch["program"] = .string(DAPPathMap.containerRoot) }
            // Built from the live text, as of now.
            return [.writeWorkspace(then: Request(participant: id, seq: seq, command: command, arguments: .object(launch)))]
        case "attach":
            return respond(to: id, seq: seq, command: command, error: "Mesh debug sessions are launched by the server; use a launch configuration")
        case "configurationDone":
            if configured { return respond(to: id, seq: seq, command: command, body: .null) }
            configured = true
            return forward(command, arguments, from: id, seq: seq)
        case "setBreakpoints":
            guard let path = arguments["source"]?["path"]?.string else {
                return respond(to: id, seq: seq, command: command, error: "setBreakpoints needs source.path")
            }
            participant.breakpoints[path] = arguments["breakpoints"]?.array ?? []
            participants[id] = participant
            let lines = (arguments["breakpoints"]?.array ?? []).compactMap { $0["line"]?.int }
            return forward(command, unionBreakpoints(arguments, path: path), from: id, seq: seq, requestedLines: lines)
        case "disconnect":
            var actions = respond(to: id, seq: seq, command: command, body: .null)
            actions.append(.leave(id))
            return actions
        default:
            return forward(command, arguments, from: id, seq: seq)
        }
    }

    /// The container or the workspace a request waited for is ready: it goes to Delve.
    mutating func resume(_ request: Request) -> [Action] {
        forward(request.command, request.arguments, from: request.participant, seq: request.seq)
    }

    /// The container or the workspace a request waited for failed: the participant is told why.
    mutating func failed(_ request: Request, error: String) -> [Action] {
        // A launch that never reached Delve (the live text could not be written) can be sent again.
        if request.command == "launch" { launched = false }
        return respond(to: request.participant, seq: request.seq, command: request.command, error: error)
    }

    /// Why a viewer may not send `command` now, or nil. A viewer watches a debug session an
    /// editor started: joining it (`initialize`, `launch`, `configurationDone` once it runs) and
    /// reading its state, never starting, steering or changing it.
    private func viewerRefusal(_ command: String, containerActive: Bool) -> String? {
        switch command {
        case _ where Self.watchCommands.contains(command): nil
        case "initialize": containerActive
            ? nil : "no debug session is running in this Mesh session; viewers can join one an editor started"
        case "launch": launched ? nil : "viewers cannot start the program; join once an editor has launched it"
        case "configurationDone": configured ? nil : "viewers cannot start the program; join once an editor has launched it"
        default: "viewers can watch this debug session but not control it (\(command))"
        }
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

    /// After someone leaves, their breakpoints go: the union again for every source (Delve's
    /// answers are not routed).
    mutating func resendBreakpoints() -> [Action] {
        var actions: [Action] = []
        for path in Set(participants.values.flatMap { $0.breakpoints.keys }) {
            let seq = nextDelveSeq()
            actions.append(.toDelve(["seq": JSONValue(seq), "type": "request", "command": "setBreakpoints",
                                     "arguments": unionBreakpoints(["source": ["path": .string(path)]], path: path)]))
        }
        return actions
    }

    /// The request that ends Delve's debuggee when the debug session ends.
    mutating func disconnectDelve() -> [Action] {
        [.toDelve(["seq": JSONValue(nextDelveSeq()), "type": "request", "command": "disconnect", "arguments": ["terminateDebuggee": true]])]
    }

    private mutating func forward(_ command: String, _ arguments: JSONValue, from id: UUID, seq: Int, requestedLines: [Int] = []) -> [Action] {
        let delve = nextDelveSeq()
        pending[delve] = Pending(participant: id, seq: seq, command: command, requestedLines: requestedLines)
        return [.toDelve(["seq": JSONValue(delve), "type": "request", "command": .string(command), "arguments": arguments])]
    }

    private mutating func nextDelveSeq() -> Int {
        defer { delveSeq += 1 }
        return delveSeq
    }

    // MARK: From Delve

    /// What a message from Delve counts towards the container's output limit: an `output`
    /// event's text (the program's output, which mesh-relay turns into such events, or Delve's
    /// own); nil for every other message.
    static func outputBytes(of message: JSONValue) -> Int? {
        guard message["type"]?.string == "event", message["event"]?.string == "output" else { return nil }
        return message["body"]?["output"]?.string?.utf8.count ?? 0
    }

    /// A DAP message from Delve: a response to whoever asked, an event to everyone.
    mutating func fromDelve(_ message: JSONValue) -> [Action] {
        switch message["type"]?.string {
        case "response":
            guard let requestSeq = message["request_seq"]?.int, let route = pending.removeValue(forKey: requestSeq),
                  var participant = participants[route.participant]
            else { return [] }
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
            return [.toParticipant(route.participant, participant.paths.toEditor(.object(object)))]
        case "event":
            let event = message["event"]?.string
            if event == "stopped" { lastStopped = message } else if event == "continued" || event == "terminated" { lastStopped = nil }
            if event == "initialized" {
                // Only the participant who initialized Delve waits for this; later ones got theirs.
                var actions: [Action] = []
                for id in participants.keys where participants[id]?.initialized == true { actions += sendEvent(message, to: id) }
                return actions
            }
            return broadcast(message)
        default:
            return []
        }
    }

    // MARK: To participants

    /// An event for every participant, each with their own `seq`.
    mutating func broadcast(_ event: JSONValue) -> [Action] {
        var actions: [Action] = []
        for id in participants.keys { actions += sendEvent(event, to: id) }
        return actions
    }

    private mutating func sendEvent(_ event: JSONValue, to id: UUID) -> [Action] {
        guard var participant = participants[id] else { return [] }
        var object = event.object ?? [:]
        object["type"] = "event"
        object["seq"] = JSONValue(participant.nextSeq)
        participant.nextSeq += 1
        participants[id] = participant
        return [.toParticipant(id, participant.paths.toEditor(.object(object)))]
    }

    /// Tells a participant that a message of theirs was not understood and dropped (it had no
    /// `seq` to answer): an `output` event the editor shows in its debug console.
    mutating func refuse(_ reason: String, to id: UUID) -> [Action] {
        sendEvent(["event": "output", "body": ["category": "console", "output": .string("Mesh: ignored a message: \(reason)\n")]], to: id)
    }

    /// A request to a debug session that has ended: answered with `reason`, as a failed
    /// response, so that the editor does not wait for an answer that Delve will never give.
    mutating func refuseRequest(_ message: JSONValue, from id: UUID, reason: String) -> [Action] {
        guard message["type"]?.string == "request", let seq = message["seq"]?.int,
              let command = message["command"]?.string else { return [] }
        return respond(to: id, seq: seq, command: command, error: reason)
    }

    private mutating func respond(to id: UUID, seq: Int, command: String, body: JSONValue? = nil, error: String? = nil) -> [Action] {
        guard var participant = participants[id] else { return [] }
        var object: [String: JSONValue] = ["type": "response", "seq": JSONValue(participant.nextSeq), "request_seq": JSONValue(seq),
                                           "command": .string(command), "success": .bool(error == nil)]
        if let body, body != .null { object["body"] = body }
        if let error { object["message"] = .string(error); object["body"] = ["error": ["id": 1, "format": .string(error)]] }
        participant.nextSeq += 1
        participants[id] = participant
        return [.toParticipant(id, participant.paths.toEditor(.object(object)))]
    }
}
