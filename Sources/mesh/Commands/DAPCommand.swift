import ArgumentParser
import Foundation
import Logging
import MeshClient
import MeshDAP

/// `mesh dap`: the debug adapter an editor's DAP client launches over stdio.
struct DAPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dap",
        abstract: "Run the Mesh debug adapter on stdin/stdout (launched by your editor's DAP client).",
        discussion: """
            Debugs the session's live Go code under Delve in a sandbox container on the server, \
            shared with the other participants. The session is found from the workspace folder \
            (--root, else the current folder) upwards; paths are mapped from the folder holding \
            .mesh/session.json, so any folder inside the shared one will do. Logs go to stderr. \
            An https:// server whose certificate comes from a private CA needs that CA: --ca-file, \
            or $MESH_CA_FILE in the editor's environment.
            """)

    @Option(help: "The editor's workspace folder (default: the current folder).") var root: String?
    @Option(help: "Log level on stderr.") var logLevel = "warning"
    @Option(help: "PEM file of the CA certificates to trust for an https:// server instead of the system's (env MESH_CA_FILE).")
    var caFile: String?

    func run() async throws {
        ClientTLS.useCAFile(caFile)
        var logger = Logger(label: "mesh.dap") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let folder = URL(fileURLWithPath: root ?? FileManager.default.currentDirectoryPath, isDirectory: true)
        let code = await DAPBridge.run(root: folder, logger: logger)
        throw ExitCode(code)
    }
}
