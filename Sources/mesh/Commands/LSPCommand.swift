import ArgumentParser
import Foundation
import Logging
import MeshLSP

/// `mesh lsp`: the language server an editor launches over stdio.
struct LSPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Run the Mesh language server on stdin/stdout (launched by your editor).",
        discussion: """
            The editor starts it for files in a folder shared with `mesh share` or joined with \
            `mesh join` (it finds .mesh/session.json above the workspace root). Credentials come \
            from $MESH_HOME (default ~/.config/mesh). Logs go to stderr.
            """)

    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        var logger = Logger(label: "mesh.lsp") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        let code = await LanguageServer.serve(JSONRPCConnection(), logger: logger)
        throw ExitCode(code)
    }
}
