import Foundation
import MeshOT
import MeshProtocol
import MeshTestSupport

/// A client that edits one document like a real editor would: its own text, an `OTClient`,
/// one op in flight, remote ops transformed and applied as they arrive.
actor TestEditor {
    let socket: TestSocket
    let path: String
    private(set) var text: TextBuffer
    private var client: OTClient
    private(set) var errors: [ErrorMessage] = []
    /// Operations sent (local edits made while one is in flight are composed into one).
    private(set) var sent = 0
    private var pump: Task<Void, Never>?

    init(socket: TestSocket, path: String, snapshot: ServerMessage.Snapshot, clientID: String) {
        self.socket = socket
        self.path = path
        text = TextBuffer(snapshot.text)
        client = OTClient(revision: snapshot.rev, clientID: clientID)
    }

    /// Opens `path` on a joined socket and starts processing incoming messages.
    static func open(_ socket: TestSocket, path: String, create: String? = nil, clientID: String) async throws -> TestEditor {
        socket.send(.open(.init(path: path, create: create)))
        let snapshot: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0 { s } else { nil } }
        let editor = TestEditor(socket: socket, path: path, snapshot: snapshot, clientID: clientID)
        await editor.start()
        return editor
    }

    private func start() {
        pump = Task { [socket] in
            while let message = try? await socket.next(timeout: .seconds(3600)) {
                self.handle(message)
            }
        }
    }

    private func handle(_ message: ServerMessage) {
        do {
            switch message {
            case let .ack(ack) where ack.path == path:
                if let next = try client.receiveAck(opId: ack.opId, revision: ack.rev) { send(next) }
            case let .remoteOp(remote) where remote.path == path:
                try client.receiveRemote(remote.committed.operation, revision: remote.committed.revision).apply(to: &text)
            case let .error(error):
                errors.append(error)
            default:
                break
            }
        } catch {
            errors.append(ErrorMessage(.internal, "client state error: \(error)"))
        }
    }

    /// A local edit: applied at once, sent when nothing is in flight.
    func edit(_ operation: TextOperation) throws {
        try operation.apply(to: &text)
        if let outgoing = try client.applyLocal(operation) { send(outgoing) }
    }

    /// Types `token` at the start or the end of the text (in one step with reading its length).
    func type(_ token: String, atEnd: Bool) throws {
        let length = text.count
        let at = atEnd ? length : 0
        try edit(.replacing(at..<at, with: token, in: length))
    }

    /// A random local edit drawn with `rng`.
    func randomEdit(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let alphabet = ["a", "b", " ", "é", "e\u{301}", "中", "😀", "\r\n", "\n", "\r"]
        let length = text.count
        let start = Int.random(in: 0...length, using: &rng)
        let end = min(length, start + Int.random(in: 0...3, using: &rng))
        var inserted = ""
        for _ in 0..<Int.random(in: 0...3, using: &rng) { inserted += alphabet.randomElement(using: &rng)! }
        try edit(.replacing(start..<end, with: inserted, in: length))
    }

    var isSynchronized: Bool { client.state == .synchronized }
    var revision: Int { client.revision }

    private func send(_ outgoing: OutgoingOperation) {
        sent += 1
        socket.send(.op(.init(path: path, baseRev: outgoing.baseRevision, ops: outgoing.operation, opId: outgoing.opId)))
    }

    func stop() {
        pump?.cancel()
        socket.close()
    }
}
