import ArgumentParser
import Logging
import MeshClient

/// Options of the adapters an editor launches over stdio (`mesh lsp`, `mesh dap`), whose
/// stdout belongs to the editor: logs go to stderr.
struct AdapterOptions: ParsableArguments {
    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "warning"

    @Option(help: "PEM file of the CA certificates to trust for an https:// server instead of the system's (env MESH_CA_FILE).")
    var caFile: String?

    /// Trusts `--ca-file` (else $MESH_CA_FILE) and returns the stderr logger, labelled `label`.
    func start(label: String) -> Logger {
        ClientTLS.useCAFile(caFile)
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return logger
    }
}
