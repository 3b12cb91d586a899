import Foundation
import MeshOT
import MeshProtocol
import MeshTestSupport

/// A client that edits one document like ``TestEditor`` and outlives the server node it is on:
/// when its socket closes it reconnects through `endpoint` (the load balancer, which may pick
/// any node), says hello, reopens the document with `knownRev` = its revision, takes the
/// catch-up through `OTClient.receiveCommitted` (its own ops, recognised by opId, count as
/// acks) and resends its unacknowledged op, as `mesh lsp` does. While it is disconnected its
/// typing goes on: local edits wait in the `OTClient` and go out after the catch-up.
///
/// It types whole tokens and remembers which of them the server acknowledged (an ack, or its
/// own op arriving committed), so a test can check that nothing acknowledged is ever lost.
actor ReconnectingEditor {
    let endpoint: any ServerEndpoint
    let user: TestUser
    let session: String
    let path: String
    let clientID: String
    private(set) var text: TextBuffer
    private var client: OTClient
    private var socket: TestSocket?
    /// The socket being opened during a reconnect (closed by ``stop()``).
    private var connecting: TestSocket?
    /// Caught up on the current socket: ops can be sent.
    private(set) var isLive = true
    private var stopped = false
    private var pump: Task<Void, Never>?
    private(set) var errors: [String] = []
    /// Successful reconnects.
    private(set) var reconnects = 0
    /// Every token typed, in order.
    private(set) var typed: [String] = []
    /// The tokens the server acknowledged.
    private(set) var acknowledged: Set<String> = []
    /// Tokens typed since the last outgoing op was made.
    private var unsent: [String] = []
    /// The tokens each unacknowledged op carries, by opId.
    private var tokensOf: [String: [String]] = [:]

    private init(endpoint: any ServerEndpoint, user: TestUser, session: String, path: String, clientID: String,
                 socket: TestSocket, snapshot: ServerMessage.Snapshot) {
        self.endpoint = endpoint
        self.user = user
        self.session = session
        self.path = path
        self.clientID = clientID
        self.socket = socket
        text = TextBuffer(snapshot.text)
        client = OTClient(revision: snapshot.rev, clientID: clientID)
    }

    /// Joins `session` through `endpoint`, opens `path` (creating it with `create`) and starts
    /// processing incoming messages.
    static func open(_ endpoint: any ServerEndpoint, _ user: TestUser, session: String, path: String, create: String? = nil,
                     clientID: String) async throws -> ReconnectingEditor {
        let (socket, _) = try await TestSocket.join(endpoint, user, session: session, label: clientID)
        socket.send(.open(.init(path: path, create: create)))
        let snapshot: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0, s.path == path { s } else { nil } }
        let editor = ReconnectingEditor(endpoint: endpoint, user: user, session: session, path: path, clientID: clientID,
                                        socket: socket, snapshot: snapshot)
        await editor.start()
        return editor
    }

    private func start() {
        pump = Task { await self.run() }
    }

    /// Handles the current socket's messages; when it closes, reconnects.
    private func run() async {
        while !stopped, !Task.isCancelled {
            guard let socket else { return }
            do {
                handle(try await socket.next(timeout: .seconds(3600)))
            } catch is DecodingError {
                errors.append("an undecodable server message")
            } catch {
                guard !stopped else { return }
                isLive = false
                self.socket = nil
                socket.close()
                await reconnect()
            }
        }
    }

    /// Connects again until a catch-up (or snapshot) arrives on a new socket.
    private func reconnect() async {
        var delay = Duration.milliseconds(20)
        while !stopped, !Task.isCancelled {
            let attempt = TestSocket(endpoint, token: user.accessToken, label: "\(clientID) (reconnect)")
            connecting = attempt
            attempt.send(.hello(.init(session: session, client: "test")))
            var early: [ServerMessage] = []
            do {
                guard case .welcome = try await attempt.next(timeout: .seconds(10)) else {
                    throw TestSetupError("no welcome")
                }
                // No op can change the revision meanwhile: nothing is received while disconnected.
                attempt.send(.open(.init(path: path, knownRev: client.revision)))
                var answer: ServerMessage?
                while answer == nil {
                    let message = try await attempt.next(timeout: .seconds(10))
                    switch message {
                    case let .catchUp(c) where c.path == path: answer = message
                    case let .snapshot(s) where s.path == path: answer = message
                    case let .error(error) where error.path == path: throw TestSetupError("reopening failed: \(error)")
                    default: early.append(message)
                    }
                }
                connecting = nil
                guard !stopped else { attempt.close(); return }
                socket = attempt
                isLive = true
                reconnects += 1
                caughtUp(answer!)
                // Whatever came before the answer (another participant's presence, say); a
                // remoteOp the catch-up already holds is skipped.
                for message in early {
                    if case let .remoteOp(remote) = message, remote.path == path, remote.committed.revision <= client.revision { continue }
                    handle(message)
                }
                return
            } catch {
                connecting = nil
                attempt.close()
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }

    private func caughtUp(_ answer: ServerMessage) {
        switch answer {
        case let .catchUp(catchUp):
            do {
                var sent = false
                for op in catchUp.ops {
                    if try committed(op) { sent = true }
                }
                if !sent, let resend = client.resendable { send(resend) }
            } catch {
                errors.append("catch-up failed: \(error)")
            }
        case let .snapshot(snapshot):
            // The server's history no longer reaches our revision: the text is replaced and the
            // unacknowledged edits are gone (the test then finds tokens missing).
            errors.append("reopened at a snapshot (revision \(snapshot.rev)) instead of a catch-up from \(client.revision)")
            text = TextBuffer(snapshot.text)
            client = OTClient(revision: snapshot.rev, clientID: "\(clientID)~\(reconnects)")
            unsent = []
            tokensOf = [:]
        default:
            break
        }
    }

    private func handle(_ message: ServerMessage) {
        do {
            switch message {
            case let .ack(ack) where ack.path == path:
                let confirms = client.outstanding?.opId == ack.opId
                let next = try client.receiveAck(opId: ack.opId, revision: ack.rev)
                if confirms { confirm(ack.opId) }
                if let next { send(next) }
            case let .remoteOp(remote) where remote.path == path:
                _ = try committed(remote.committed)
            case let .error(error):
                errors.append("\(error)")
            default:
                break
            }
        } catch {
            errors.append("client state error: \(error)")
        }
    }

    /// A committed op, from a catch-up or a remoteOp: our own (by opId, only for our own user's
    /// ops) is the ack of our outstanding op. Returns whether a buffered op was sent because of it.
    private func committed(_ op: CommittedOperation) throws -> Bool {
        let ours = op.author?.lowercased() == user.id.lowercased() ? op.opId : nil
        let outstanding = client.outstanding?.opId
        let (apply, next) = try client.receiveCommitted(op.operation, revision: op.revision, opId: ours)
        if let apply {
            try apply.apply(to: &text)
        } else if let ours, ours == outstanding {
            confirm(ours)
        }
        if let next { send(next) }
        return next != nil
    }

    private func confirm(_ opId: String) {
        acknowledged.formUnion(tokensOf.removeValue(forKey: opId) ?? [])
    }

    /// Types `token` at the start or the end of the text: applied at once, sent when nothing is
    /// in flight and the socket is caught up (otherwise after the catch-up).
    func type(_ token: String, atEnd: Bool) throws {
        let length = text.count
        let at = atEnd ? length : 0
        let operation = TextOperation.replacing(at..<at, with: token, in: length)
        try operation.apply(to: &text)
        typed.append(token)
        unsent.append(token)
        if let outgoing = try client.applyLocal(operation) { send(outgoing) }
    }

    /// Records which tokens `outgoing` carries (the first time it goes out) and sends it if the
    /// socket is caught up.
    private func send(_ outgoing: OutgoingOperation) {
        if tokensOf[outgoing.opId] == nil {
            tokensOf[outgoing.opId] = unsent
            unsent = []
        }
        guard isLive, let socket else { return }
        socket.send(.op(.init(path: path, baseRev: outgoing.baseRevision, ops: outgoing.operation, opId: outgoing.opId)))
    }

    /// Every edit acknowledged and the socket caught up.
    var isSynchronized: Bool { isLive && client.state == .synchronized }
    var revision: Int { client.revision }

    func stop() {
        stopped = true
        pump?.cancel()
        socket?.close()
        connecting?.close()
    }
}
