import Foundation
import MeshOT
import MeshProtocol
import NIOConcurrencyHelpers
import Testing
@testable import MeshLSP

/// What `mesh lsp` sends its editor, checked in-process: a ``LanguageServer`` whose `send:`
/// records every message, initialized with the capabilities an editor would advertise.
@Suite struct EditorRequestTests {
    /// A server that has answered `initialize` (no `initialized`, so no session is looked for).
    struct Harness {
        let server: LanguageServer
        let sent: NIOLockedValueBox<[JSONRPCMessage]>

        init(capabilities: JSONValue, clientName: String = "test-editor") async {
            let sent = NIOLockedValueBox<[JSONRPCMessage]>([])
            server = LanguageServer(environment: ["HOME": "/nonexistent", "MESH_HOME": "/nonexistent/mesh"]) { message in
                sent.withLockedValue { $0.append(message) }
            }
            self.sent = sent
            await server.handle(.message(.request(id: .number(0), method: "initialize", params: [
                "processId": .null, "rootUri": "file:///tmp/mesh-editor-requests",
                "capabilities": capabilities, "clientInfo": ["name": .string(clientName)],
            ])))
        }

        /// The `initialize` answer's capabilities.
        var capabilities: JSONValue? {
            sent.withLockedValue { messages in
                for case let .response(.number(0)?, .success(result)) in messages { return result["capabilities"] }
                return nil
            }
        }

        /// The requests sent to the editor so far, as method and params.
        var requests: [(method: String, params: JSONValue?)] {
            sent.withLockedValue { messages in
                messages.compactMap { message in
                    if case let .request(_, method, params) = message { return (method, params) }
                    return nil
                }
            }
        }

        /// Every request to the editor as the JSON object it goes out as.
        var serializedRequests: [JSONValue] {
            sent.withLockedValue { messages in
                messages.compactMap { message in
                    guard case .request = message else { return nil }
                    return try? JSONValue.parse(message.serialized())
                }
            }
        }
    }

    // MARK: workspace/inlayHint/refresh

    @Test func inlayHintRefreshGoesOutWithoutParams() async throws {
        let editor = await Harness(capabilities: ["workspace": ["inlayHint": ["refreshSupport": true]]])
        await editor.server.refreshInlayHints()
        let request = try #require(editor.requests.first { $0.method == "workspace/inlayHint/refresh" })
        #expect(request.params == nil)
        let wire = try #require(editor.serializedRequests.first { $0["method"]?.string == "workspace/inlayHint/refresh" })
        #expect(wire.object?.keys.contains("params") == false, "a request without parameters has no params member: \(wire)")
        #expect(wire["id"] != nil && wire["jsonrpc"]?.string == "2.0")
    }

    @Test func inlayHintRefreshOnlyWhenTheEditorSupportsIt() async throws {
        for capabilities: JSONValue in [[:], ["workspace": ["inlayHint": ["refreshSupport": false]]], ["workspace": [:]]] {
            let editor = await Harness(capabilities: capabilities)
            await editor.server.refreshInlayHints()
            #expect(editor.requests.isEmpty, "no refresh for \(capabilities)")
        }
    }

    /// JSON-RPC: `params`, when present, is an object or an array; a message without
    /// parameters leaves it out, whether it was built with nil or with JSON null.
    @Test func parameterlessMessagesHaveNoParamsMember() throws {
        for message in [JSONRPCMessage.request(id: .string("mesh-1"), method: "workspace/inlayHint/refresh", params: nil),
                        .request(id: .number(2), method: "workspace/codeLens/refresh", params: .null),
                        .notification(method: "exit", params: nil),
                        .notification(method: "exit", params: .null)] {
            let json = try JSONValue.parse(message.serialized())
            #expect(json.object?.keys.contains("params") == false, "\(json)")
        }
        let withParams = try JSONValue.parse(JSONRPCMessage.request(id: .number(3), method: "m", params: [:]).serialized())
        #expect(withParams["params"] == JSONValue.object([:]))
    }

    // MARK: mesh.invite

    /// `mesh.invite owner` is refused before anything is sent (Role.isGrantable, the server's
    /// rule). The bug: it read as an owner invite and went to the server.
    @Test func meshInviteOwnerIsRefusedBeforeAnythingIsSent() throws {
        func invite(_ arguments: JSONValue) throws -> Role? {
            if case let .invite(role) = try Commands.parse(["command": "mesh.invite", "arguments": arguments], inSession: true) { return role }
            return nil
        }
        let error = #expect(throws: ResponseError.self) { try invite(["owner"]) }
        #expect(error?.code == -32602 && error?.message.contains("not owner") == true, "\(String(describing: error))")
        #expect(try invite(["viewer"]) == .viewer)
        #expect(try invite(["editor"]) == .editor)
        #expect(try invite([]) == .editor, "no role: editor, as before")
        #expect(try invite(["admin"]) == .editor, "a role it does not know: editor, as before")
    }

    // MARK: workspace/applyEdit

    static let uri = "file:///tmp/mesh-editor-requests/main.go"
    static let outgoing = EditorSync.Outgoing(id: 1, version: 4, edits: [
        LSPTextEdit(range: LSPRange(start: LSPPosition(line: 0, character: 2), end: LSPPosition(line: 0, character: 2)), newText: "<r1>"),
    ])

    func sentEdit(_ editor: Harness) async throws -> JSONValue {
        await editor.server.sendApplyEdit(uri: Self.uri, Self.outgoing)
        let request = try #require(editor.requests.first { $0.method == "workspace/applyEdit" })
        #expect(request.params?["label"] == nil, "no label: Neovim prints it for every edit")
        return try #require(request.params?["edit"])
    }

    /// A client that advertised `workspace.workspaceEdit.documentChanges` gets one versioned
    /// `TextDocumentEdit`, naming the buffer version the edit applies to.
    @Test func versionedEditsWhenTheClientAdvertisesDocumentChanges() async throws {
        let editor = await Harness(capabilities: ["workspace": ["workspaceEdit": ["documentChanges": true]]])
        let edit = try await sentEdit(editor)
        #expect(edit["changes"] == nil)
        let change = try #require(edit["documentChanges"]?[0])
        #expect(edit["documentChanges"]?.array?.count == 1)
        #expect(change["textDocument"] == JSONValue.object(["uri": .string(Self.uri), "version": JSONValue(4)]))
        #expect(change["edits"] == JSONValue.encode(Self.outgoing.edits))
    }

    /// Without the capability: `changes`, URI → edits, no version.
    @Test func changesWhenTheClientDoesNotAdvertiseDocumentChanges() async throws {
        for capabilities: JSONValue in [[:], ["workspace": ["workspaceEdit": ["documentChanges": false]]]] {
            let editor = await Harness(capabilities: capabilities)
            let edit = try await sentEdit(editor)
            #expect(edit["documentChanges"] == nil)
            #expect(edit["changes"] == JSONValue.object([Self.uri: JSONValue.encode(Self.outgoing.edits)]))
        }
    }

    /// Neovim's built-in handler applies `documentChanges` without advertising them, and only a
    /// versioned edit keeps it exactly-once: it gets them (EditorTraits.neovim).
    @Test func neovimsOwnHandlerGetsVersionedEdits() async throws {
        let editor = await Harness(capabilities: ["workspace": ["workspaceEdit": ["resourceOperations": ["rename", "create", "delete"]]]],
                                   clientName: "Neovim")
        let edit = try await sentEdit(editor)
        #expect(edit["changes"] == nil)
        #expect(edit["documentChanges"]?[0]?["textDocument"]?["version"] == JSONValue(4))
    }

    // MARK: Capabilities and cursor sources

    /// The cursor sources docs/protocol.md names are the providers advertised; signature help
    /// is not advertised (a null answer could hide another server's), yet a client sending
    /// it anyway gets null, not an error.
    @Test func advertisedProvidersAreTheDocumentedCursorSources() async throws {
        let editor = await Harness(capabilities: [:])
        let capabilities = try #require(editor.capabilities)
        for provider in ["hoverProvider", "completionProvider", "codeActionProvider", "inlayHintProvider", "executeCommandProvider"] {
            #expect(capabilities[provider] != nil, "\(provider) is advertised")
        }
        #expect(capabilities["signatureHelpProvider"] == nil)
        #expect(capabilities["documentHighlightProvider"] == nil)
        await editor.server.handle(.message(.request(id: .number(7), method: "textDocument/signatureHelp", params: [
            "textDocument": ["uri": "file:///tmp/mesh-editor-requests/a.go"], "position": ["line": 0, "character": 0],
        ])))
        let answer = editor.sent.withLockedValue { messages in
            messages.compactMap { message -> Result<JSONValue, ResponseError>? in
                if case let .response(.number(7)?, result) = message { return result }
                return nil
            }.first
        }
        #expect(answer == Result<JSONValue, ResponseError>.success(.null))
    }
}
