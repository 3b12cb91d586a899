import Foundation
import MeshTestSupport
import MeshLSP
import MeshFraming

/// `mesh lsp` as an editor runs it: the binary as a subprocess on pipes, driven by a
/// ``ScriptedEditor``.
final class EditorProcess: ScriptedEditor, @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    /// Guarded by `lock`.
    private var framer = MessageFramer()

    /// - Parameter environment: variables set beside `MESH_HOME` (`MESH_CA_FILE`, as an editor's environment would).
    init(name: String, home: URL, logFile: URL, environment: [String: String] = [:]) throws {
        super.init(name: name)
        process.executableURL = MeshBinary.url
        process.arguments = ["lsp", "--log-level", "info"]
        process.environment = MeshBinary.baseEnvironment.merging(["MESH_HOME": home.path]) { $1 }.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        DescriptorReader.start(output.fileHandleForReading, name: "lsp \(name)") { [weak self] data in self?.received(data) }
    }

    override func send(_ message: JSONRPCMessage) {
        // The throwing write: an answer the reader thread sends after close() (or after the
        // process ended) must not trap the whole test run, as the non-throwing one does.
        try? input.fileHandleForWriting.write(contentsOf: MessageFramer.frame(message.serialized()))
    }

    func sendRaw(_ bytes: String) { try? input.fileHandleForWriting.write(contentsOf: Data(bytes.utf8)) }

    /// Closes its stdin (the editor going away) and returns at once, for a `defer`: `mesh lsp`
    /// is killed if it has not exited within 10 s.
    func close() {
        try? input.fileHandleForWriting.close()
        process.endWithoutWaiting(terminate: false, grace: .seconds(10))
    }

    private func received(_ data: Data) {
        let frames = lock.withLock { framer.feed(data) }
        for case let .message(content) in frames {
            guard case let .success(message) = JSONRPCMessage.parse(content) else { continue }
            handle(message)
        }
    }
}
