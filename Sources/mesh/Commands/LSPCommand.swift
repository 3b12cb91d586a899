import ArgumentParser
import Foundation
import MeshLSP

/// `mesh lsp`: the language server an editor launches over stdio.
struct LSPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Run the Mesh language server on stdin/stdout (launched by your editor).",
        discussion: """
            The editor starts it for files in a folder shared with `mesh share` or joined with \
            `mesh join` (it finds .mesh/session.json above the workspace root). Credentials come \
            from $MESH_HOME (default ~/.config/mesh). Logs go to stderr. An https:// server whose \
            certificate comes from a private CA needs that CA: --ca-file, or $MESH_CA_FILE in the \
            editor's environment.
            """)

    @OptionGroup var adapter: AdapterOptions

    func run() async throws {
        let logger = adapter.start(label: "mesh.lsp")
        // The editor is gone when its end of stdout closes: stop at once, whatever is queued.
        let connection = JSONRPCConnection(onOutputClosed: { Foundation.exit(1) })
        let code = await LanguageServer.serve(connection, logger: logger)
        Foundation.exit(code)
    }
}
