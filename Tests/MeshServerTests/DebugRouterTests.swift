import Foundation
import MeshProtocol
import Testing
@testable import MeshServer

/// The debug session's DAP routing without Docker: what reaches Delve and each participant for
/// a given message (``DebugRouter``; DebugTests drives the same through a real Delve).
@Suite struct DebugRouterTests {
    // Ann sorts before Bob (the breakpoint union is in participant order).
    let ann = UUID(uuidString: "00000000-0000-0000-0000-0000000000A1")!
    let bob = UUID(uuidString: "00000000-0000-0000-0000-0000000000B2")!
    let cid = UUID(uuidString: "00000000-0000-0000-0000-0000000000C3")!
    let annUser = UUID(uuidString: "00000000-0000-0000-0000-00000000A000")!
    let bobUser = UUID(uuidString: "00000000-0000-0000-0000-00000000B000")!

    /// JSON text as a value (text that does not parse compares unequal to everything expected).
    func json(_ text: String) -> JSONValue {
        (try? JSONValue.parse(Data(text.utf8))) ?? .string("unparsable test JSON: \(text)")
    }

    /// Ann (an editor, in /home/ann/proj) and Bob (in /Users/bob/work).
    func makeRouter(bob bobRole: Role = .editor) -> DebugRouter {
        var router = DebugRouter()
        router.join(id: ann, user: annUser, name: "Ann", role: .editor, editorRoot: "/home/ann/proj")
        router.join(id: bob, user: bobUser, name: "Bob", role: bobRole, editorRoot: "/Users/bob/work")
        return router
    }

    func request(_ seq: Int, _ command: String, _ arguments: JSONValue? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["seq": JSONValue(seq), "type": "request", "command": .string(command)]
        if let arguments { object["arguments"] = arguments }
        return .object(object)
    }

    /// The error response a participant gets.
    func refusal(seq: Int, requestSeq: Int, command: String, _ message: String) -> JSONValue {
        .object(["seq": JSONValue(seq), "type": "response", "request_seq": JSONValue(requestSeq), "command": .string(command),
                 "success": false, "message": .string(message), "body": ["error": ["id": 1, "format": .string(message)]]])
    }

    func delve(_ actions: [DebugRouter.Action]) -> [JSONValue] {
        var messages: [JSONValue] = []
        for case let .toDelve(message) in actions { messages.append(message) }
        return messages
    }

    func sent(to id: UUID, _ actions: [DebugRouter.Action]) -> [JSONValue] {
        var messages: [JSONValue] = []
        for case let .toParticipant(to, message) in actions where to == id { messages.append(message) }
        return messages
    }

    @Test func seqIsRenumberedPerParticipantAndResponsesGoToWhoeverAsked() {
        var router = makeRouter()
        let annThreads = router.received(request(1, "threads"), from: ann, containerActive: true)
        let bobThreads = router.received(request(1, "threads"), from: bob, containerActive: true)
        let annStack = router.received(request(2, "stackTrace", ["threadId": 1]), from: ann, containerActive: true)
        #expect(annThreads == [.toDelve(json(#"{"seq":1,"type":"request","command":"threads","arguments":{}}"#))])
        #expect(bobThreads == [.toDelve(json(#"{"seq":2,"type":"request","command":"threads","arguments":{}}"#))])
        #expect(annStack == [.toDelve(json(#"{"seq":3,"type":"request","command":"stackTrace","arguments":{"threadId":1}}"#))])

        // Delve answers out of order; each answer goes to whoever asked, with their own seq.
        let toBob = router.fromDelve(json(#"{"seq":7,"type":"response","request_seq":2,"success":true,"command":"threads","body":{"threads":[{"id":1,"name":"main"}]}}"#))
        #expect(toBob == [.toParticipant(bob, json(#"{"seq":1,"type":"response","request_seq":1,"success":true,"command":"threads","body":{"threads":[{"id":1,"name":"main"}]}}"#))])
        let stack = router.fromDelve(json(#"{"seq":8,"type":"response","request_seq":3,"success":true,"command":"stackTrace","body":{"stackFrames":[],"totalFrames":0}}"#))
        #expect(stack == [.toParticipant(ann, json(#"{"seq":1,"type":"response","request_seq":2,"success":true,"command":"stackTrace","body":{"stackFrames":[],"totalFrames":0}}"#))])
        let threads = router.fromDelve(json(#"{"seq":9,"type":"response","request_seq":1,"success":true,"command":"threads","body":{"threads":[]}}"#))
        #expect(threads == [.toParticipant(ann, json(#"{"seq":2,"type":"response","request_seq":1,"success":true,"command":"threads","body":{"threads":[]}}"#))])

        // An event goes to everyone, each with their next seq.
        let stopped = router.fromDelve(json(#"{"seq":10,"type":"event","event":"stopped","body":{"reason":"pause","threadId":1}}"#))
        #expect(stopped.count == 2)
        #expect(sent(to: ann, stopped) == [json(#"{"seq":3,"type":"event","event":"stopped","body":{"reason":"pause","threadId":1}}"#)])
        #expect(sent(to: bob, stopped) == [json(#"{"seq":2,"type":"event","event":"stopped","body":{"reason":"pause","threadId":1}}"#)])

        // A disconnect is answered here, and the participant leaves.
        let disconnect = router.received(request(3, "disconnect"), from: bob, containerActive: true)
        #expect(disconnect == [.toParticipant(bob, json(#"{"seq":3,"type":"response","request_seq":3,"command":"disconnect","success":true}"#)), .leave(bob)])
    }

    /// After the session ended (its Delve is gone) a request is answered at once with a failure,
    /// never left waiting; a message that is not a request gets nothing.
    @Test func aRequestToAnEndedSessionIsRefusedNotLeftWaiting() {
        var router = makeRouter()
        let reason = "this debug session has ended; start debugging again"
        let refused = router.refuseRequest(request(4, "threads"), from: ann, reason: reason)
        #expect(refused == [.toParticipant(ann, refusal(seq: 1, requestSeq: 4, command: "threads", reason))])
        #expect(router.refuseRequest(json(#"{"seq":5,"type":"event","event":"stopped"}"#), from: ann, reason: reason).isEmpty)
    }

    @Test func aResponseToAnUnknownRequestIsDropped() {
        var router = makeRouter()
        _ = router.received(request(1, "threads"), from: ann, containerActive: true)   // Delve's seq 1
        _ = router.received(request(1, "threads"), from: bob, containerActive: true)   // Delve's seq 2
        let unknown = router.fromDelve(json(#"{"seq":5,"type":"response","request_seq":42,"success":true,"command":"threads"}"#))
        #expect(unknown == [])
        let first = router.fromDelve(json(#"{"seq":6,"type":"response","request_seq":1,"success":true,"command":"threads"}"#))
        #expect(first == [.toParticipant(ann, json(#"{"seq":1,"type":"response","request_seq":1,"success":true,"command":"threads","body":null}"#))])
        let again = router.fromDelve(json(#"{"seq":7,"type":"response","request_seq":1,"success":true,"command":"threads"}"#))
        #expect(again == [], "a request is answered once")
        // Bob leaves: the answer to his request goes nowhere.
        let left = router.leave(bob)
        let leftAgain = router.leave(bob)
        #expect(left && !leftAgain)
        let bobs = router.fromDelve(json(#"{"seq":8,"type":"response","request_seq":2,"success":true,"command":"threads"}"#))
        #expect(bobs == [])
    }

    @Test func breakpointsAreTheUnionAndEachIsAnsweredWithTheirOwn() {
        var router = makeRouter()
        let annSets = router.received(request(1, "setBreakpoints", ["source": ["path": "/home/ann/proj/main.go"], "breakpoints": [["line": 3], ["line": 5]]]),
                                      from: ann, containerActive: true)
        #expect(annSets == [.toDelve(json(#"{"seq":1,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"/workspace/main.go"},"breakpoints":[{"line":3},{"line":5}]}}"#))])
        let bobSets = router.received(request(1, "setBreakpoints", ["source": ["path": "/Users/bob/work/main.go"], "breakpoints": [["line": 5], ["line": 7]]]),
                                      from: bob, containerActive: true)
        #expect(bobSets == [.toDelve(json(#"{"seq":2,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"/workspace/main.go"},"breakpoints":[{"line":3},{"line":5},{"line":7}]}}"#))])

        // Delve verifies the union: Bob hears of 5 and 7 only, in his folder.
        let toBob = router.fromDelve(json(#"""
            {"seq":4,"type":"response","request_seq":2,"success":true,"command":"setBreakpoints","body":{"breakpoints":[
             {"id":1,"verified":true,"line":3,"source":{"path":"/workspace/main.go"}},
             {"id":2,"verified":true,"line":5,"source":{"path":"/workspace/main.go"}},
             {"id":3,"verified":true,"line":7,"source":{"path":"/workspace/main.go"}}]}}
            """#))
        #expect(toBob == [.toParticipant(bob, json(#"""
            {"seq":1,"type":"response","request_seq":1,"success":true,"command":"setBreakpoints","body":{"breakpoints":[
             {"id":2,"verified":true,"line":5,"source":{"path":"/Users/bob/work/main.go"}},
             {"id":3,"verified":true,"line":7,"source":{"path":"/Users/bob/work/main.go"}}]}}
            """#))])
        // Ann's own, in her order; a line Delve did not answer for is unverified.
        let toAnn = router.fromDelve(json(#"""
            {"seq":3,"type":"response","request_seq":1,"success":true,"command":"setBreakpoints","body":{"breakpoints":[
             {"id":1,"verified":true,"line":3,"source":{"path":"/workspace/main.go"}}]}}
            """#))
        #expect(toAnn == [.toParticipant(ann, json(#"""
            {"seq":1,"type":"response","request_seq":1,"success":true,"command":"setBreakpoints","body":{"breakpoints":[
             {"id":1,"verified":true,"line":3,"source":{"path":"/home/ann/proj/main.go"}},{"verified":false,"line":5}]}}
            """#))])

        // Bob leaves: his breakpoints go.
        let left = router.leave(bob)
        #expect(left)
        let resent = router.resendBreakpoints()
        #expect(resent == [.toDelve(json(#"{"seq":3,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"/workspace/main.go"},"breakpoints":[{"line":3},{"line":5}]}}"#))])
    }

    @Test func aViewerIsRefusedEveryCommandOutsideTheAllowList() {
        var router = makeRouter(bob: .viewer)
        let control = "viewers can watch this debug session but not control it"
        let refused: [(String, JSONValue, String)] = [
            ("launch", ["mode": "debug", "program": "/Users/bob/work/cmd"], "viewers cannot start the program; join once an editor has launched it"),
            ("configurationDone", [:], "viewers cannot start the program; join once an editor has launched it"),
            ("continue", ["threadId": 1], "\(control) (continue)"),
            ("next", ["threadId": 1], "\(control) (next)"),
            ("stepIn", ["threadId": 1], "\(control) (stepIn)"),
            ("pause", ["threadId": 1], "\(control) (pause)"),
            ("setBreakpoints", ["source": ["path": "/Users/bob/work/main.go"], "breakpoints": [["line": 3]]], "\(control) (setBreakpoints)"),
            ("evaluate", ["expression": "len(values)", "context": "repl"], "\(control) (evaluate)"),
            ("setVariable", ["variablesReference": 1, "name": "p", "value": "1"], "\(control) (setVariable)"),
            ("attach", [:], "\(control) (attach)"),
        ]
        for (index, entry) in refused.enumerated() {
            let (command, arguments, message) = entry
            let actions = router.received(request(20 + index, command, arguments), from: bob, containerActive: true)
            #expect(actions == [.toParticipant(bob, refusal(seq: index + 1, requestSeq: 20 + index, command: command, message))], "\(command)")
        }
        // Joining needs a debug session an editor started.
        let early = router.received(request(40, "initialize"), from: bob, containerActive: false)
        #expect(early == [.toParticipant(bob, refusal(seq: refused.count + 1, requestSeq: 40, command: "initialize",
                                                      "no debug session is running in this Mesh session; viewers can join one an editor started"))])
        let joining = router.received(request(41, "initialize"), from: bob, containerActive: true)
        #expect(joining == [.needContainer(user: bobUser, then: DebugRouter.Request(participant: bob, seq: 41, command: "initialize", arguments: [:]))])

        // Reading the program's state reaches Delve.
        let threads = router.received(request(50, "threads"), from: bob, containerActive: true)
        let stack = router.received(request(51, "stackTrace", ["threadId": 1]), from: bob, containerActive: true)
        let variables = router.received(request(52, "variables", ["variablesReference": 1000]), from: bob, containerActive: true)
        #expect(threads == [.toDelve(json(#"{"seq":1,"type":"request","command":"threads","arguments":{}}"#))])
        #expect(stack == [.toDelve(json(#"{"seq":2,"type":"request","command":"stackTrace","arguments":{"threadId":1}}"#))])
        #expect(variables == [.toDelve(json(#"{"seq":3,"type":"request","command":"variables","arguments":{"variablesReference":1000}}"#))])
    }

    @Test func evaluateIsRefusedToViewersOnly() {
        var router = makeRouter(bob: .viewer)
        #expect(!DebugRouter.watchCommands.contains("evaluate"))
        let bobs = router.received(request(7, "evaluate", ["expression": "os.Exit(1)", "context": "repl"]), from: bob, containerActive: true)
        #expect(bobs == [.toParticipant(bob, refusal(seq: 1, requestSeq: 7, command: "evaluate",
                                                     "viewers can watch this debug session but not control it (evaluate)"))])
        let anns = router.received(request(7, "evaluate", ["expression": "len(values)", "frameId": 1000, "context": "repl"]), from: ann, containerActive: true)
        #expect(anns == [.toDelve(json(#"{"seq":1,"type":"request","command":"evaluate","arguments":{"expression":"len(values)","frameId":1000,"context":"repl"}}"#))])
    }

    @Test func aRoleChangeAppliesToTheNextRequest() {
        var router = makeRouter()
        let before = router.received(request(1, "next", ["threadId": 1]), from: bob, containerActive: true)
        #expect(before == [.toDelve(json(#"{"seq":1,"type":"request","command":"next","arguments":{"threadId":1}}"#))])
        let demoted = router.setRole(.viewer, for: bob)
        let unchanged = router.setRole(.viewer, for: bob)
        let stranger = router.setRole(.editor, for: UUID())
        #expect(demoted && !unchanged && !stranger)
        #expect(router.hasEditor)
        let after = router.received(request(2, "next", ["threadId": 1]), from: bob, containerActive: true)
        #expect(after == [.toParticipant(bob, refusal(seq: 1, requestSeq: 2, command: "next",
                                                      "viewers can watch this debug session but not control it (next)"))])
        let annDemoted = router.setRole(.viewer, for: ann)
        #expect(annDemoted && !router.hasEditor, "no editor left")
        let promoted = router.setRole(.owner, for: bob)
        #expect(promoted)
        #expect(router.hasEditor)
        let again = router.received(request(3, "next", ["threadId": 1]), from: bob, containerActive: true)
        #expect(again == [.toDelve(json(#"{"seq":2,"type":"request","command":"next","arguments":{"threadId":1}}"#))])
        #expect(router.participantIDs(of: bobUser) == [bob])
    }

    @Test func launchReachesDelveOnceAndAFailedLaunchAllowsANewOne() {
        var router = makeRouter()
        let launch = router.received(request(1, "launch", ["mode": "debug", "program": "/home/ann/proj/cmd/app", "cwd": "/home/ann/proj"]),
                                     from: ann, containerActive: true)
        let waiting = DebugRouter.Request(participant: ann, seq: 1, command: "launch",
                                          arguments: json(#"{"mode":"debug","program":"/workspace/cmd/app","cwd":"/workspace","output":"/tmp/__debug_bin"}"#))
        #expect(launch == [.writeWorkspace(then: waiting)])
        let launched = router.resume(waiting)
        #expect(launched == [.toDelve(json(#"{"seq":1,"type":"request","command":"launch","arguments":{"mode":"debug","program":"/workspace/cmd/app","cwd":"/workspace","output":"/tmp/__debug_bin"}}"#))])

        // A second launch is answered at once; Delve never sees it.
        let second = router.received(request(1, "launch", ["mode": "debug"]), from: bob, containerActive: true)
        #expect(second == [.toParticipant(bob, json(#"{"seq":1,"type":"response","request_seq":1,"command":"launch","success":true}"#))])

        // The launch fails (a build error): Ann is told, and the next launch goes to Delve.
        let failed = router.fromDelve(json(#"{"seq":3,"type":"response","request_seq":1,"success":false,"command":"launch","message":"build failed"}"#))
        #expect(failed == [.toParticipant(ann, json(#"{"seq":1,"type":"response","request_seq":1,"success":false,"command":"launch","message":"build failed","body":null}"#))])
        let retry = router.received(request(2, "launch", ["mode": "debug"]), from: bob, containerActive: true)
        let retried = DebugRouter.Request(participant: bob, seq: 2, command: "launch",
                                          arguments: json(#"{"mode":"debug","program":"/workspace","output":"/tmp/__debug_bin"}"#))
        #expect(retry == [.writeWorkspace(then: retried)])
        let relaunched = router.resume(retried)
        #expect(relaunched == [.toDelve(json(#"{"seq":2,"type":"request","command":"launch","arguments":{"mode":"debug","program":"/workspace","output":"/tmp/__debug_bin"}}"#))])

        // configurationDone reaches Delve once too.
        let done = router.received(request(2, "configurationDone"), from: ann, containerActive: true)
        #expect(done == [.toDelve(json(#"{"seq":3,"type":"request","command":"configurationDone","arguments":{}}"#))])
        let doneAgain = router.received(request(3, "configurationDone"), from: bob, containerActive: true)
        #expect(doneAgain == [.toParticipant(bob, json(#"{"seq":2,"type":"response","request_seq":3,"command":"configurationDone","success":true}"#))])

        // What a request waited for failed: its sender is told why.
        let write = router.failed(retried, error: "disk full")
        #expect(write == [.toParticipant(bob, refusal(seq: 3, requestSeq: 2, command: "launch", "disk full"))])
        // A launch whose live text could not be written never reached Delve: it can be sent again.
        let afterWrite = router.received(request(4, "launch", ["mode": "debug"]), from: bob, containerActive: true)
        #expect(afterWrite.count == 1 && { if case .writeWorkspace = afterWrite.first { true } else { false } }(), "\(afterWrite)")
    }

    @Test func aLateJoinerGetsTheCachedInitializeAndTheLastStop() {
        var router = DebugRouter()
        router.join(id: ann, user: annUser, name: "Ann", role: .editor, editorRoot: "/home/ann/proj")
        let initialize = router.received(request(1, "initialize", ["adapterID": "go"]), from: ann, containerActive: false)
        let waiting = DebugRouter.Request(participant: ann, seq: 1, command: "initialize", arguments: ["adapterID": "go"])
        #expect(initialize == [.needContainer(user: annUser, then: waiting)])
        let started = router.resume(waiting)
        #expect(started == [.toDelve(json(#"{"seq":1,"type":"request","command":"initialize","arguments":{"adapterID":"go"}}"#))])
        let initialized = router.fromDelve(json(#"{"seq":1,"type":"response","request_seq":1,"success":true,"command":"initialize","body":{"supportsConfigurationDoneRequest":true}}"#))
        #expect(initialized == [.toParticipant(ann, json(#"{"seq":1,"type":"response","request_seq":1,"success":true,"command":"initialize","body":{"supportsConfigurationDoneRequest":true}}"#))])
        if case let .writeWorkspace(launch)? = router.received(request(2, "launch", ["mode": "debug"]), from: ann, containerActive: true).first {
            _ = router.resume(launch)   // Delve's seq 2
        } else {
            Issue.record("launch did not wait for the workspace")
        }
        _ = router.fromDelve(json(#"{"seq":2,"type":"response","request_seq":2,"success":true,"command":"launch"}"#))   // Ann's seq 2

        // Bob joins before Delve's initialized event: it is Ann's, not his.
        router.join(id: bob, user: bobUser, name: "Bob", role: .viewer, editorRoot: "/Users/bob/work")
        let event = router.fromDelve(json(#"{"seq":3,"type":"event","event":"initialized"}"#))
        #expect(event == [.toParticipant(ann, json(#"{"seq":3,"type":"event","event":"initialized"}"#))])
        let stopped = router.fromDelve(json(#"{"seq":4,"type":"event","event":"stopped","body":{"reason":"breakpoint","threadId":1}}"#))
        #expect(sent(to: bob, stopped) == [json(#"{"seq":1,"type":"event","event":"stopped","body":{"reason":"breakpoint","threadId":1}}"#)])

        // Bob initializes: the cached response and an initialized event, without Delve.
        let joined = router.received(request(1, "initialize", ["adapterID": "go"]), from: bob, containerActive: true)
        #expect(joined == [
            .toParticipant(bob, json(#"{"seq":2,"type":"response","request_seq":1,"success":true,"command":"initialize","body":{"supportsConfigurationDoneRequest":true}}"#)),
            .toParticipant(bob, json(#"{"seq":3,"type":"event","event":"initialized"}"#)),
        ])
        // His launch is answered, and the last stop replayed.
        let attached = router.received(request(2, "launch", ["mode": "debug"]), from: bob, containerActive: true)
        #expect(attached == [
            .toParticipant(bob, json(#"{"seq":4,"type":"response","request_seq":2,"command":"launch","success":true}"#)),
            .toParticipant(bob, json(#"{"seq":5,"type":"event","event":"stopped","body":{"reason":"breakpoint","threadId":1}}"#)),
        ])

        // Once the program continues there is no stop to replay.
        _ = router.fromDelve(json(#"{"seq":5,"type":"event","event":"continued","body":{"threadId":1}}"#))
        router.join(id: cid, user: UUID(), name: "Cid", role: .editor, editorRoot: "/home/cid")
        _ = router.received(request(1, "initialize"), from: cid, containerActive: true)   // Cid's seqs 1 and 2
        let cids = router.received(request(2, "launch"), from: cid, containerActive: true)
        #expect(cids == [.toParticipant(cid, json(#"{"seq":3,"type":"response","request_seq":2,"command":"launch","success":true}"#))])
    }

    @Test func pathsAreMappedBothWaysForEachParticipant() {
        var router = makeRouter()
        let anns = router.received(request(1, "breakpointLocations", ["source": ["path": "/home/ann/proj/pkg/a.go"], "line": 4]), from: ann, containerActive: true)
        #expect(anns == [.toDelve(json(#"{"seq":1,"type":"request","command":"breakpointLocations","arguments":{"source":{"path":"/workspace/pkg/a.go"},"line":4}}"#))])
        // Paths outside the editor's folder (a prefix of a name is not a folder) stay as they are.
        let outside = router.received(request(1, "source", ["source": ["path": "/Users/bob/workshop/b.go"], "sourceReference": 0]), from: bob, containerActive: true)
        #expect(outside == [.toDelve(json(#"{"seq":2,"type":"request","command":"source","arguments":{"source":{"path":"/Users/bob/workshop/b.go"},"sourceReference":0}}"#))])
        _ = router.received(request(2, "stackTrace", ["threadId": 1]), from: bob, containerActive: true)   // Delve's seq 3
        let frames = router.fromDelve(json(#"""
            {"seq":9,"type":"response","request_seq":3,"success":true,"command":"stackTrace","body":{"stackFrames":[
             {"id":1,"name":"main.main","line":4,"source":{"name":"a.go","path":"/workspace/pkg/a.go"}},
             {"id":2,"name":"fmt.Println","line":9,"source":{"path":"/usr/local/go/src/fmt/print.go"}}]}}
            """#))
        #expect(frames == [.toParticipant(bob, json(#"""
            {"seq":1,"type":"response","request_seq":2,"success":true,"command":"stackTrace","body":{"stackFrames":[
             {"id":1,"name":"main.main","line":4,"source":{"name":"a.go","path":"/Users/bob/work/pkg/a.go"}},
             {"id":2,"name":"fmt.Println","line":9,"source":{"path":"/usr/local/go/src/fmt/print.go"}}]}}
            """#))])
        // An event reaches each in their own folder.
        let output = router.fromDelve(json(#"{"seq":10,"type":"event","event":"output","body":{"category":"stderr","output":"panic\n","source":{"path":"/workspace/pkg/a.go"},"line":4}}"#))
        #expect(sent(to: ann, output) == [json(#"{"seq":1,"type":"event","event":"output","body":{"category":"stderr","output":"panic\n","source":{"path":"/home/ann/proj/pkg/a.go"},"line":4}}"#)])
        #expect(sent(to: bob, output) == [json(#"{"seq":2,"type":"event","event":"output","body":{"category":"stderr","output":"panic\n","source":{"path":"/Users/bob/work/pkg/a.go"},"line":4}}"#)])
    }

    @Test func hostileMessagesAreRefusedOrDroppedNeverACrash() {
        var router = makeRouter()
        func ignored(_ seq: Int) -> JSONValue {
            .object(["seq": JSONValue(seq), "type": "event", "event": "output",
                     "body": ["category": "console",
                              "output": "Mesh: ignored a message: not a DAP request (it needs \"type\":\"request\", a \"command\" and a numeric \"seq\")\n"]])
        }
        var hostile: [JSONValue] = [
            json(#"{"type":"request","command":"threads"}"#),
            json(#"{"seq":"1","type":"request","command":"threads"}"#),
            json(#"{"seq":1.5,"type":"request","command":"threads"}"#),
            json(#"{"seq":1e300,"type":"request","command":"threads"}"#),
            json(#"{"seq":1,"type":"request"}"#),
            json(#"{"seq":1,"type":"request","command":7}"#),
            json(#"{"seq":1,"command":"threads"}"#),
            json(#"{"seq":1,"type":"event","event":"stopped"}"#),
            json("[1,2,3]"), json(#""request""#), json("null"), json("42"), json("{}"),
        ]
        hostile.append(.object(["seq": .number(.nan), "type": "request", "command": "threads"]))
        hostile.append(.object(["seq": .number(.infinity), "type": "request", "command": "threads"]))
        for (index, message) in hostile.enumerated() {
            let actions = router.received(message, from: ann, containerActive: true)
            #expect(actions == [.toParticipant(ann, ignored(index + 1))], "\(message)")
        }
        var annSeq = hostile.count + 1

        // A response (to a reverse request), or anything from someone not attached: dropped.
        let response = router.received(json(#"{"seq":1,"type":"response","request_seq":1,"command":"runInTerminal","success":true}"#), from: ann, containerActive: true)
        #expect(response == [])
        let stranger = router.received(request(1, "threads"), from: UUID(), containerActive: true)
        #expect(stranger == [])

        // setBreakpoints with arguments that are not an object, or without a source path: an error.
        let noPath = router.received(json(#"{"seq":2,"type":"request","command":"setBreakpoints","arguments":"main.go"}"#), from: ann, containerActive: true)
        #expect(noPath == [.toParticipant(ann, refusal(seq: annSeq, requestSeq: 2, command: "setBreakpoints", "setBreakpoints needs source.path"))])
        annSeq += 1
        // Breakpoints that are not a list, and lines that are not whole numbers, are left out.
        let notAList = router.received(json(#"{"seq":3,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"/home/ann/proj/a.go"},"breakpoints":"all"}}"#),
                                       from: ann, containerActive: true)
        #expect(notAList == [.toDelve(json(#"{"seq":1,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"/workspace/a.go"},"breakpoints":[]}}"#))])
        let oddLines = router.received(json(#"{"seq":4,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"/home/ann/proj/a.go"},"breakpoints":[{"line":"3"},{"line":1e300},{"line":2.5},{"line":4}]}}"#),
                                       from: ann, containerActive: true)
        #expect(oddLines == [.toDelve(json(#"{"seq":2,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"/workspace/a.go"},"breakpoints":[{"line":4}]}}"#))])
        // Delve's answer with a body that is not an object: the participant's lines, unverified.
        let oddBody = router.fromDelve(json(#"{"seq":1,"type":"response","request_seq":2,"success":true,"command":"setBreakpoints","body":"?"}"#))
        #expect(oddBody == [.toParticipant(ann, .object(["seq": JSONValue(annSeq), "type": "response", "request_seq": 4, "success": true, "command": "setBreakpoints",
                                                         "body": ["breakpoints": [["verified": false, "line": 4]]]]))])
        // Other arguments go to Delve as they are (it answers what it cannot read with an error).
        let oddArguments = router.received(json(#"{"seq":5,"type":"request","command":"threads","arguments":"x"}"#), from: ann, containerActive: true)
        #expect(oddArguments == [.toDelve(json(#"{"seq":3,"type":"request","command":"threads","arguments":"x"}"#))])
        // A large whole seq is answered with it.
        let large = router.received(json(#"{"seq":1000000000000000,"type":"request","command":"threads"}"#), from: ann, containerActive: true)
        #expect(delve(large).count == 1)
        let answer = router.fromDelve(json(#"{"seq":2,"type":"response","request_seq":4,"success":true,"command":"threads"}"#))
        #expect(sent(to: ann, answer).first?["request_seq"] == JSONValue(1_000_000_000_000_000))

        // From Delve: what is not a response or an event, or answers nothing known, is dropped.
        let fromDelve: [JSONValue] = [
            json("[]"), json("null"), json(#""response""#), json(#"{"seq":3,"type":"request","command":"runInTerminal"}"#),
            json(#"{"seq":3,"type":"response","success":true,"command":"threads"}"#),
            json(#"{"seq":3,"type":"response","request_seq":"3","success":true}"#),
            json(#"{"seq":3,"type":"response","request_seq":1e300,"success":true}"#),
            .object(["type": "response", "request_seq": .number(.nan)]),
        ]
        for message in fromDelve {
            let actions = router.fromDelve(message)
            #expect(actions == [], "\(message)")
        }
    }
}
