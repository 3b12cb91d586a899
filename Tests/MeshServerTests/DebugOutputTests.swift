import Foundation
import MeshProtocol
import Testing
@testable import MeshServer

/// A debuggee's output reaches the server as DAP `output` events (mesh-relay makes them from
/// what Delve prints): they count against the container's output limit where the server reads
/// them, like the container's attached stdio; nothing else from Delve does.
@Suite struct DebugOutputTests {
    func message(_ json: String) throws -> JSONValue { try JSONValue.parse(Data(json.utf8)) }

    @Test func aDebuggeeFloodingItsOutputThroughDelveIsCounted() throws {
        let output = try message(#"{"seq":0,"type":"event","event":"output","body":{"category":"stdout","output":"héllo\n"}}"#)
        #expect(DebugRouter.outputBytes(of: output) == 7, "UTF-8 bytes of the text")
        let empty = try message(#"{"seq":0,"type":"event","event":"output","body":{"category":"stderr"}}"#)
        #expect(DebugRouter.outputBytes(of: empty) == 0)
        let stopped = try message(#"{"seq":5,"type":"event","event":"stopped","body":{"reason":"breakpoint","threadId":1}}"#)
        #expect(DebugRouter.outputBytes(of: stopped) == nil)
        let response = try message(#"{"seq":6,"type":"response","request_seq":2,"success":true,"command":"evaluate","body":{"result":"output"}}"#)
        #expect(DebugRouter.outputBytes(of: response) == nil)
    }
}
