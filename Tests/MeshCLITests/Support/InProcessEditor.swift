import Foundation
import MeshLSP

/// A ``ScriptedEditor`` of a `LanguageServer` running in this process: its messages go into the
/// input that ``serve()`` runs the server on, and the server's come back through its `send:`
/// parameter. No binary, no pipes, no framing: what it checks is the parts of `mesh lsp` and the
/// order they handle messages in, against a real `mesh serve`.
final class InProcessEditor: ScriptedEditor, @unchecked Sendable {
    private let incoming: AsyncStream<JSONRPCConnection.Incoming>
    private let input: AsyncStream<JSONRPCConnection.Incoming>.Continuation
    /// Set once, in `init`.
    private var server: LanguageServer?

    /// An editor whose `mesh lsp` logs in with the credentials in `home` (`MESH_HOME`).
    init(name: String, home: URL) {
        (incoming, input) = AsyncStream.makeStream(of: JSONRPCConnection.Incoming.self)
        super.init(name: name)
        let environment = MeshBinary.baseEnvironment.merging(["MESH_HOME": home.path]) { $1 }
        server = LanguageServer(environment: environment) { [weak self] message in self?.handle(message) }
    }

    /// Runs the server until ``finish()`` (or `exit`); returns its exit code.
    func serve() async -> Int32 {
        guard let server else { return -1 }
        return await server.run(incoming)
    }

    override func send(_ message: JSONRPCMessage) {
        input.yield(.message(message))
    }

    /// Closes the editor's end, as an editor that quits does: the server ends.
    func finish() {
        input.finish()
    }
}
