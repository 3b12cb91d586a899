import Foundation
import MeshClient
import MeshLoopbackBalancer
import MeshOT
import MeshProtocol

extension ClusterBenchmark {
    struct Confirmed: Sendable {
        var token: String
        var at: ContinuousClock.Instant
    }

    struct ClientResult: Sendable {
        var text = ""
        var revision = 0
        var typed: [String] = []
        /// Tokens acknowledged (an ack, or the client's own op arriving committed), and when.
        var confirmed: [Confirmed] = []
        /// This client's ops the server acknowledged (opIds).
        var ownOps: Set<String> = []
        /// Other members' ops received (opIds).
        var received: Set<String> = []
        var duplicates = 0
        var within = Samples()
        var across = Samples()
        var resentLatency = Samples()
        var caughtUpLatency = Samples()
        var ack = Samples()
        var reconnectTimes = Samples()
        var counts = ClientCounts()
        var resends = 0
        var reconnects = 0
        /// The first few error messages.
        var errors: [String] = []
    }

    private enum Phase { case live, awaitingWelcome, awaitingAnswer }

    /// One client, on one task: ticks type a token; acks release composed edits; remote ops
    /// are transformed and applied; when the socket closes, it reconnects through the balancer,
    /// reopens with `knownRev`, catches up (its own ops count as acks) and resends.
    static func drive(index: Int, user: BenchUser, session: String, path: String, node initialNode: Int, socket first: BenchSocket,
                      snapshot: ServerMessage.Snapshot, mailbox: Inbox, shared: Shared, status: ClientStatus) async throws -> ClientResult {
        var reader = Reader(inbox: mailbox)
        var client = OTClient(revision: snapshot.rev, clientID: "c\(index)")
        var text = TextBuffer(snapshot.text)
        var rng = SplitMix64(seed: 0xC1A5 &+ UInt64(index) &* 0x9E37_79B9)
        var result = ClientResult()
        var socket: BenchSocket? = first
        var generation = 0
        var node = initialNode
        var phase = Phase.live
        var early: [Received] = []
        var disconnectedAt: ContinuousClock.Instant?
        var ticks = 0
        var sequence = 0
        var unsent: [String] = []
        var tokensOf: [String: [String]] = [:]
        let me = user.id.uuidString.lowercased()
        status.set(revision: client.revision, synchronized: true, ticks: 0)

        func note(_ error: String) {
            result.counts.errors += 1
            if result.errors.count < 5 { result.errors.append("c\(index): \(error)") }
        }

        func send(_ outgoing: OutgoingOperation) async {
            if tokensOf[outgoing.opId] == nil {
                tokensOf[outgoing.opId] = unsent
                unsent = []
            }
            guard phase == .live, let socket else { return }   // sent after the catch-up
            do {
                let message = try Wire.encode(.op(.init(path: path, baseRev: outgoing.baseRevision, ops: outgoing.operation,
                                                        opId: outgoing.opId)))
                shared.log.sent(outgoing.opId, at: .now, node: node)
                result.counts.opsSent += 1
                try await socket.send(message)
            } catch {
                // The socket is closing: its end arrives as an event, and the op goes again after the catch-up.
            }
        }

        func confirm(_ opId: String, at: ContinuousClock.Instant) {
            result.ownOps.insert(opId)
            for token in tokensOf.removeValue(forKey: opId) ?? [] { result.confirmed.append(Confirmed(token: token, at: at)) }
            if let sent = shared.log.entry(opId), !sent.resent, sent.at >= shared.measureFrom { result.ack.add(at - sent.at) }
        }

        /// A committed op (remoteOp or catch-up); our own, by opId, is our outstanding op's ack.
        /// Returns whether it released a buffered op.
        func committed(_ op: CommittedOperation, at: ContinuousClock.Instant, inCatchUp: Bool) async throws -> Bool {
            let mine = op.author?.lowercased() == me
            let outstanding = client.outstanding?.opId
            let (apply, next) = try client.receiveCommitted(op.operation, revision: op.revision, opId: mine ? op.opId : nil)
            if let apply {
                try apply.apply(to: &text)
                if mine {
                    note("own op \(op.opId ?? "?") at revision \(op.revision) arrived as a remote one (applied twice)")
                } else if let opId = op.opId {
                    if !result.received.insert(opId).inserted { result.duplicates += 1 }
                    if let sent = shared.log.entry(opId), sent.at >= shared.measureFrom {
                        let latency = at - sent.at
                        if sent.resent {
                            result.resentLatency.add(latency)
                        } else if inCatchUp {
                            result.caughtUpLatency.add(latency)
                        } else if sent.node == node {
                            result.within.add(latency)
                        } else {
                            result.across.add(latency)
                        }
                    }
                }
            } else if mine, let opId = op.opId, opId == outstanding {
                confirm(opId, at: at)
            }
            if let next { await send(next) }
            return next != nil
        }

        func handle(_ message: ServerMessage, at: ContinuousClock.Instant) async throws {
            switch message {
            case let .ack(ack) where ack.path == path:
                let confirms = client.outstanding?.opId == ack.opId
                let next = try client.receiveAck(opId: ack.opId, revision: ack.rev)
                if confirms { confirm(ack.opId, at: at) }
                if let next { await send(next) }
            case let .remoteOp(remote) where remote.path == path:
                _ = try await committed(remote.committed, at: at, inCatchUp: false)
            case let .hash(check) where check.path == path && check.rev == client.revision && client.state == .synchronized:
                result.counts.hashChecks += 1
                if DocumentHash.of(text.description) != check.hash { result.counts.hashMismatches += 1 }
            case let .error(error):
                note("\(error)")
            default:
                break
            }
        }

        /// Connects through the balancer, one client at a time (so the connection's number says
        /// which node it reached), until a socket is open; then says hello.
        func reconnect() async {
            while !Task.isCancelled {
                generation += 1
                await shared.gate.enter()
                let number = shared.balancer.acceptedConnections
                let opened = try? await BenchSocket.connect(port: shared.balancer.port, token: user.token, inbox: mailbox,
                                                            closeTag: closeTag(generation))
                let backend = shared.balancer.backend(ofConnection: number)
                await shared.gate.leave()
                if let opened {
                    socket = opened
                    node = backend.flatMap { shared.nodeIndex[$0] } ?? -1
                    phase = .awaitingWelcome
                    // A failed write shows as the connection's end, which reconnects again.
                    try? await opened.send(Wire.encode(.hello(.init(session: session, client: "mesh-relay-bench"))))
                    return
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }

        do {
            loop: while let item = await reader.next() {
                if let frame = item.text {
                    let message = try Wire.decode(frame)
                    switch phase {
                    case .live:
                        try await handle(message, at: item.at)
                    case .awaitingWelcome:
                        if case .welcome = message {
                            phase = .awaitingAnswer
                            try? await socket?.send(Wire.encode(.open(.init(path: path, knownRev: client.revision))))
                        } else if case let .error(error) = message {
                            note("hello after a reconnect: \(error)")
                        }
                    case .awaitingAnswer:
                        switch message {
                        case let .catchUp(catchUp) where catchUp.path == path:
                            phase = .live
                            var sent = false
                            for op in catchUp.ops {
                                if try await committed(op, at: item.at, inCatchUp: true) {
                                    sent = true
                                }
                            }
                            if !sent, let resend = client.resendable {
                                if shared.log.entry(resend.opId) != nil {
                                    shared.log.resent(resend.opId)
                                    result.resends += 1
                                }
                                await send(resend)
                            }
                            result.reconnects += 1
                            if let disconnectedAt { result.reconnectTimes.add(item.at - disconnectedAt) }
                            disconnectedAt = nil
                            // What came before the answer, in order; a remoteOp the catch-up holds is skipped.
                            let held = early
                            early = []
                            for item in held {
                                guard let frame = item.text else { continue }
                                let message = try Wire.decode(frame)
                                if case let .remoteOp(remote) = message, remote.path == path, remote.committed.revision <= client.revision { continue }
                                try await handle(message, at: item.at)
                            }
                        case let .snapshot(reopened) where reopened.path == path:
                            throw BenchError("reopened at a snapshot (revision \(reopened.rev)) instead of a catch-up from \(client.revision): edits lost")
                        case let .error(error) where error.path == path:
                            throw BenchError("reopening after a reconnect failed: \(error)")
                        default:
                            early.append(item)
                        }
                    }
                } else if item.tag == tick {
                    ticks += 1
                    sequence += 1
                    let token = "<c\(index).\(sequence)>"
                    // A whole line at a line start: never inside another token.
                    let at = text.lineStartOffset(Int(rng.next() % UInt64(text.lineCount)))
                    let operation = TextOperation.replacing(at..<at, with: token + "\n", in: text.count)
                    try operation.apply(to: &text)
                    result.typed.append(token)
                    result.counts.edits += 1
                    unsent.append(token)
                    if let outgoing = try client.applyLocal(operation) { await send(outgoing) }
                } else if item.tag == stop {
                    break loop
                } else if item.tag == closeTag(generation) {
                    // This connection ended (its node died): reconnect through the balancer.
                    socket = nil
                    phase = .awaitingWelcome
                    early = []
                    if disconnectedAt == nil { disconnectedAt = item.at }
                    await reconnect()
                }
                // Any other tag is the end of a connection given up already.
                status.set(revision: client.revision, synchronized: phase == .live && client.outstanding == nil, ticks: ticks)
            }
        } catch {
            status.fail()
            await socket?.close()
            throw error
        }
        await socket?.close()
        result.text = text.description
        result.revision = client.revision
        return result
    }
}
