import ArgumentParser
import Foundation
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
    @OptionGroup var adapter: AdapterOptions

    func run() async throws {
        let logger = adapter.start(label: "mesh.dap")
        let folder = URL(fileURLWithPath: root ?? FileManager.default.currentDirectoryPath, isDirectory: true)
        let code = await DAPBridge.run(root: folder, logger: logger)
        throw ExitCode(code)
    }
}
