import Testing
@testable import MeshOT
import MeshTestSupport

/// One `OTDocument` and 2–8 `OTClient`s exchanging messages over simulated connections: random
/// local edits, random delivery order across connections (FIFO within one), random disconnects
/// with catch-up and resend. After draining, every client holds the server's text.
@Suite struct SyncSimulationTests {
    enum Downlink { case ack(opId: String, revision: Int), remote(TextOperation, revision: Int) }

    struct SimClient {
        var ot: OTClient
        var text: TextBuffer
        var up: [OutgoingOperation] = []      // client -> server, FIFO
        var down: [Downlink] = []            // server -> client, FIFO
        var connected = true
    }

    struct Simulation {
        var rng: SeededRandom
        var server: OTDocument
        var clients: [SimClient]
        let seed: UInt64

        init(seed: UInt64) {
            self.seed = seed
            rng = SeededRandom(seed: seed)
            let initial = randomText(maxPieces: 8, using: &rng)
            server = OTDocument(text: TextBuffer(initial), historyLimit: 100_000)
            let n = Int.random(in: 2...8, using: &rng)
            clients = (0..<n).map { SimClient(ot: OTClient(revision: 0, clientID: "c\($0)"), text: TextBuffer(initial)) }
        }

        mutating func localEdit(_ i: Int) throws {
            let op = randomOperation(length: clients[i].text.count, using: &rng)
            try op.apply(to: &clients[i].text)
            if let out = try clients[i].ot.applyLocal(op), clients[i].connected { clients[i].up.append(out) }
        }

        mutating func deliverToServer(_ i: Int) throws {
            let message = clients[i].up.removeFirst()
            let receipt = try server.receive(message.operation, baseRevision: message.baseRevision,
                                             opId: message.opId, author: "c\(i)")
            let committed = receipt.committed
            clients[i].down.append(.ack(opId: message.opId, revision: committed.revision))
            guard !receipt.isDuplicate else { return }
            for j in clients.indices where j != i && clients[j].connected {
                clients[j].down.append(.remote(committed.operation, revision: committed.revision))
            }
        }

        mutating func deliverToClient(_ i: Int) throws {
            switch clients[i].down.removeFirst() {
            case let .ack(opId, revision):
                if let next = try clients[i].ot.receiveAck(opId: opId, revision: revision) { clients[i].up.append(next) }
            case let .remote(op, revision):
                let local = try clients[i].ot.receiveRemote(op, revision: revision)
                try local.apply(to: &clients[i].text)
            }
        }

        /// The connection drops: some sent messages reach the server, the rest and every
        /// undelivered server message are lost.
        mutating func disconnect(_ i: Int) throws {
            let arrived = Int.random(in: 0...clients[i].up.count, using: &rng)
            for _ in 0..<arrived { try deliverToServer(i) }
            clients[i].up.removeAll()
            clients[i].down.removeAll()
            clients[i].connected = false
        }

        /// Reconnect: catch up from the client's revision, then resend what is unacknowledged.
        mutating func reconnect(_ i: Int) throws {
            clients[i].connected = true
            for committed in try server.operations(since: clients[i].ot.revision) {
                let (apply, send) = try clients[i].ot.receiveCommitted(
                    committed.operation, revision: committed.revision, opId: committed.opId)
                if let apply { try apply.apply(to: &clients[i].text) }
                if let send { clients[i].up.append(send) }
            }
            if clients[i].up.isEmpty, let resend = clients[i].ot.resendable { clients[i].up.append(resend) }
        }

        mutating func step() throws {
            let i = Int.random(in: clients.indices, using: &rng)
            switch Int.random(in: 0..<20, using: &rng) {
            case 0..<6: try localEdit(i)
            case 6..<12: if clients[i].connected, !clients[i].up.isEmpty { try deliverToServer(i) }
            case 12..<18: if clients[i].connected, !clients[i].down.isEmpty { try deliverToClient(i) }
            default: if clients[i].connected { try disconnect(i) } else { try reconnect(i) }
            }
        }

        mutating func drain() throws {
            for i in clients.indices where !clients[i].connected { try reconnect(i) }
            var progressed = true
            while progressed {
                progressed = false
                for i in clients.indices {
                    if !clients[i].up.isEmpty { try deliverToServer(i); progressed = true }
                    if !clients[i].down.isEmpty { try deliverToClient(i); progressed = true }
                }
            }
        }
    }

    @Test func clientsConvergeWithTheServer() throws {
        for seed in 0..<UInt64(propertyCases(2_000)) {
            var sim = Simulation(seed: seed)
            do {
                for _ in 0..<Int.random(in: 10...80, using: &sim.rng) { try sim.step() }
                try sim.drain()
            } catch {
                Issue.record("seed \(seed): \(error)")
                continue
            }
            for (i, client) in sim.clients.enumerated() {
                #expect(client.text == sim.server.text, "seed \(seed): client \(i) diverged")
                #expect(client.ot.state == .synchronized, "seed \(seed): client \(i) still pending")
                #expect(client.ot.revision == sim.server.revision, "seed \(seed): client \(i) revision")
            }
        }
    }

    @Test func duplicateResendIsAcknowledgedNotReapplied() throws {
        var doc = OTDocument(text: TextBuffer("ab"))
        let op = TextOperation([.retain(1), .insert("😀"), .retain(1)])
        let first = try doc.receive(op, baseRevision: 0, opId: "c:1")
        let again = try doc.receive(op, baseRevision: 0, opId: "c:1")
        #expect(!first.isDuplicate)
        #expect(again.isDuplicate)
        #expect(again.committed == first.committed)
        #expect(doc.text.description == "a😀b")
        #expect(doc.revision == 1)
    }

    @Test func boundedHistoryRefusesStaleAndFutureBases() throws {
        var doc = OTDocument(historyLimit: 3)
        for i in 0..<5 { _ = try doc.receive(TextOperation([.retain(i), .insert("x")]), baseRevision: i) }
        #expect(doc.oldestRetainedRevision == 2)
        #expect(throws: OTError.revisionTooOld(base: 1, oldestRetained: 2)) {
            try doc.receive(TextOperation([.insert("y")]), baseRevision: 1)
        }
        #expect(throws: OTError.revisionInFuture(base: 6, current: 5)) {
            try doc.receive(TextOperation([.insert("y")]), baseRevision: 6)
        }
        let late = try doc.receive(TextOperation([.retain(2), .insert("y")]), baseRevision: 2)
        #expect(late.committed.revision == 6)
        #expect(try doc.operations(since: 4).map(\.revision) == [5, 6])
    }

    @Test func clientRefusesOutOfOrderMessages() throws {
        var client = OTClient(revision: 3, clientID: "c")
        #expect(throws: OTError.unexpectedRevision(expected: 4, received: 5)) {
            try client.receiveRemote(TextOperation(), revision: 5)
        }
        #expect(throws: OTError.unexpectedAck(opId: "c:9")) { try client.receiveAck(opId: "c:9", revision: 4) }
    }
}
