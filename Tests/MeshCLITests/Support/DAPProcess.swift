import Foundation
import MeshTestSupport
#if canImport(Glibc)
import Glibc
#endif
import MeshProtocol
import MeshFraming

/// `mesh dap` as an editor's DAP client runs it: a subprocess on pipes; requests with awaited
/// responses, and every event kept in order.
final class DAPProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let outputPipe = Pipe()
    private let lock = NSLock()
    private var framer = MessageFramer()
    private var seq = 0
    private var responses: [Int: JSONValue] = [:]
    private(set) var events: [JSONValue] = []

    private var socketHandle: FileHandle?

    /// A DAP server already listening on 127.0.0.1:`port` (a direct `dlv dap --listen`).
    init(connectingTo port: Int) throws {
        let handle = FileHandle(fileDescriptor: try LoopbackSocket.connect(port: port), closeOnDealloc: true)
        socketHandle = handle
        DescriptorReader.start(handle, name: "DAP socket") { [weak self] data in self?.received(data) }
    }

    private func write(_ data: Data) {
        // After close() the socket is shut down: the send fails, quietly.
        guard let socketHandle else { try? input.fileHandleForWriting.write(contentsOf: data); return }
        LoopbackSocket.send(data, to: socketHandle.fileDescriptor)
    }

    init(root: URL, home: URL, logFile: URL) throws {
        process.executableURL = MeshBinary.url
        process.arguments = ["dap", "--root", root.path, "--log-level", "info"]
        process.environment = MeshBinary.baseEnvironment.merging(["MESH_HOME": home.path]) { $1 }
        process.standardInput = input
        process.standardOutput = outputPipe
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        DescriptorReader.start(outputPipe.fileHandleForReading, name: "dap stdout") { [weak self] data in self?.received(data) }
    }

    private func received(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        for case let .message(content) in framer.feed(data) {
            guard let message = try? JSONValue.parse(content) else { continue }
            switch message["type"]?.string {
            case "response": if let requestSeq = message["request_seq"]?.int { responses[requestSeq] = message }
            case "event": events.append(message)
            default: break
            }
        }
    }

    /// Sends `content` as one framed message as is (for malformed input).
    func sendRaw(_ content: String) { write(MessageFramer.frame(Data(content.utf8))) }

    /// Sends a request and waits for its response (success or not).
    func request(_ command: String, _ arguments: JSONValue = [:], timeout: Duration = .seconds(60)) async throws -> JSONValue {
        let mine = lock.withLock { () -> Int in seq += 1; return seq }
        let message: JSONValue = ["seq": JSONValue(mine), "type": "request", "command": .string(command), "arguments": arguments]
        write(MessageFramer.frame(message.serialized()))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let response = lock.withLock({ responses.removeValue(forKey: mine) }) { return response }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no response to \(command) within \(timeout); events: \(eventNames); output: \(outputs)")
    }

    var eventNames: [String] { lock.withLock { events.compactMap { $0["event"]?.string } } }
    /// The bodies' `output` of every output event so far.
    var outputs: [String] { lock.withLock { events.filter { $0["event"]?.string == "output" }.compactMap { $0["body"]?["output"]?.string } } }

    /// Waits for the `index`-th event (0-based, counting from the start) named `name`.
    func event(_ name: String, occurrence index: Int = 0, timeout: Duration = .seconds(60)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let matching = lock.withLock { events.filter { $0["event"]?.string == name } }
            if matching.count > index { return matching[index] }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no \(name) event #\(index + 1) within \(timeout); events: \(eventNames)")
    }

    /// Everything the program printed (output events), joined.
    var programOutput: String {
        lock.withLock { events.filter { $0["event"]?.string == "output" }.compactMap { $0["body"]?["output"]?.string }.joined() }
    }

    func count(_ name: String) -> Int { lock.withLock { events.filter { $0["event"]?.string == name }.count } }

    /// Closes its stdin (the editor going away) and returns at once, for a `defer`: the adapter
    /// is killed if it has not exited within 10 s. ``closed()`` waits for the exit.
    func close() {
        // The reader thread ends at the end of file this brings; the descriptor is closed when
        // neither holds the handle any longer.
        if let socketHandle { shutdown(socketHandle.fileDescriptor, Int32(SHUT_RDWR)); return }
        try? input.fileHandleForWriting.close()
        process.endWithoutWaiting(terminate: false, grace: .seconds(10))
    }

    /// Closes its stdin and waits, without holding a thread, for the adapter to exit.
    func closed() async {
        close()
        _ = await process.exited(within: .seconds(15))
    }
}
