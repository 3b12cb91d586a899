import Foundation
import Testing
@testable import MeshOT
import MeshTestSupport

/// Several server nodes, each with its own `OTDocument` for one document, share one log (the
/// database) that takes an append only at its next revision and never the same (author, opId)
/// twice. Each node applies client ops at once ("speculative"), commits them later, and on a
/// taken revision (or a wake-up) fetches what other nodes committed and ``OTDocument/integrate``s
/// it under its own. Clients move between nodes on reconnect (a node died or the balancer chose
/// another) and resend what was not acknowledged.
///
/// After draining: every client holds the log's text, and every op is in the log exactly once.
@Suite struct MultiAuthoritySimulationTests {
    enum Downlink { case ack(opId: String, revision: Int), remote(CommittedOperation) }

    struct SimClient {
        var ot: OTClient
        var text: TextBuffer
        var node: Int
        /// Which connection this is: a message for an older one is lost with it.
        var epoch = 0
        var up: [OutgoingOperation] = []
        var down: [Downlink] = []
        var connected = true
    }

    struct Node {
        var doc: OTDocument
        var durable: Int
        /// Speculative ops (revisions durable+1 …) and who sent each.
        var pending: [Speculative] = []
        /// Acks of resends whose first copy is still speculative here.
        var waitingAcks: [(client: Int, epoch: Int, opId: String, revision: Int)] = []
    }

    /// An op a node applied but has not committed: as committed now, as its client sent it, and
    /// what undoes it.
    struct Speculative {
        var op: CommittedOperation
        var sender: Int
        var epoch: Int
        var submission: OTDocument.Submission
        var inverse: TextOperation
    }

    struct Simulation {
        var rng: SeededRandom
        var log: [CommittedOperation] = []
        let initial: String
        var nodes: [Node]
        var clients: [SimClient]

        init(seed: UInt64) {
            rng = SeededRandom(seed: seed)
            let start = randomText(maxPieces: 8, using: &rng)
            initial = start
            let nodeCount = Int.random(in: 2...3, using: &rng)
            nodes = (0..<nodeCount).map { _ in Node(doc: OTDocument(text: TextBuffer(start), historyLimit: 100_000), durable: 0) }
            let n = Int.random(in: 2...6, using: &rng)
            clients = []
            for i in 0..<n {
                clients.append(SimClient(ot: OTClient(revision: 0, clientID: "c\(i)"), text: TextBuffer(initial),
                                         node: Int.random(in: 0..<nodeCount, using: &rng)))
            }
        }

        func logText() throws -> TextBuffer {
            var text = TextBuffer(initial)
            for committed in log { try committed.operation.apply(to: &text) }
            return text
        }

        mutating func localEdit(_ i: Int) throws {
            let op = randomOperation(length: clients[i].text.count, using: &rng)
            try op.apply(to: &clients[i].text)
            if let out = try clients[i].ot.applyLocal(op), clients[i].connected { clients[i].up.append(out) }
        }

        func attached(to node: Int) -> [Int] { clients.indices.filter { clients[$0].connected && clients[$0].node == node } }

        mutating func deliverToNode(_ i: Int) throws {
            let message = clients[i].up.removeFirst()
            let k = clients[i].node
            let receipt = try nodes[k].doc.receive(message.operation, baseRevision: message.baseRevision,
                                                   opId: message.opId, author: "c\(i)", invertible: true)
            if receipt.isDuplicate {
                if receipt.committed.revision <= nodes[k].durable {
                    clients[i].down.append(.ack(opId: message.opId, revision: receipt.committed.revision))
                } else {
                    nodes[k].waitingAcks.append((i, clients[i].epoch, message.opId, receipt.committed.revision))
                }
                return
            }
            nodes[k].pending.append(Speculative(
                op: receipt.committed, sender: i, epoch: clients[i].epoch,
                submission: .init(operation: message.operation, baseRevision: message.baseRevision, opId: message.opId, author: "c\(i)"),
                inverse: receipt.inverse!))
        }

        /// The node's group commit: its speculative ops go into the log if their revisions are
        /// free and none is there already; otherwise it pulls and tries again next time.
        mutating func commit(_ k: Int) throws {
            guard !nodes[k].pending.isEmpty else { return }
            let batch = nodes[k].pending
            let taken = log.count != nodes[k].durable
            let resent = batch.contains { item in log.contains { $0.opId == item.op.opId && $0.author == item.op.author } }
            if taken || resent { return try pull(k) }
            log.append(contentsOf: batch.map(\.op))
            nodes[k].pending.removeAll()
            nodes[k].durable = log.count
            for item in batch {
                let sender = item.sender
                if clients[sender].connected, clients[sender].epoch == item.epoch {
                    clients[sender].down.append(.ack(opId: item.op.opId!, revision: item.op.revision))
                }
                for j in attached(to: k) where j != sender {
                    clients[j].down.append(.remote(item.op))
                }
            }
            releaseAcks(k)
        }

        mutating func releaseAcks(_ k: Int) {
            let durable = nodes[k].durable
            let ready = nodes[k].waitingAcks.filter { $0.revision <= durable }
            nodes[k].waitingAcks.removeAll { $0.revision <= durable }
            for (client, epoch, opId, revision) in ready where clients[client].connected && clients[client].epoch == epoch {
                clients[client].down.append(.ack(opId: opId, revision: revision))
            }
        }

        /// Fetches what other nodes committed and puts it under this node's speculative ops.
        mutating func pull(_ k: Int) throws {
            let durable = nodes[k].durable
            guard log.count > durable else { return }
            let remote = Array(log[durable...])
            let speculative = nodes[k].pending
            let integration = try nodes[k].doc.integrate(remote, after: durable, undoing: speculative.map(\.inverse),
                                                         resubmitting: speculative.map(\.submission))
            var kept: [Speculative] = []
            var renumbered: [Int: Int] = [:]
            for (item, receipt) in zip(speculative, integration.receipts) {
                renumbered[item.op.revision] = receipt.committed.revision
                // A resend of it reached another node, which committed it: the sender (if still
                // here) sees it among the remote ops below, which is its ack.
                if receipt.isDuplicate { continue }
                var moved = item
                moved.op = receipt.committed
                moved.inverse = receipt.inverse!
                kept.append(moved)
            }
            nodes[k].pending = kept
            for index in nodes[k].waitingAcks.indices {
                if let revision = renumbered[nodes[k].waitingAcks[index].revision] { nodes[k].waitingAcks[index].revision = revision }
            }
            nodes[k].durable = log.count
            for committed in remote {
                for j in attached(to: k) { clients[j].down.append(.remote(committed)) }
            }
            releaseAcks(k)
        }

        mutating func deliverToClient(_ i: Int) throws {
            switch clients[i].down.removeFirst() {
            case let .ack(opId, revision):
                if let next = try clients[i].ot.receiveAck(opId: opId, revision: revision) { clients[i].up.append(next) }
            case let .remote(committed):
                // As `mesh lsp` does: an op of our own user's may be our outstanding one.
                let ours = committed.author == "c\(i)" ? committed.opId : nil
                let (apply, send) = try clients[i].ot.receiveCommitted(committed.operation, revision: committed.revision, opId: ours)
                if let apply { try apply.apply(to: &clients[i].text) }
                if let send { clients[i].up.append(send) }
            }
        }

        mutating func drop(_ i: Int) {
            clients[i].up.removeAll()
            clients[i].down.removeAll()
            clients[i].connected = false
        }

        mutating func disconnect(_ i: Int) throws {
            let arrived = Int.random(in: 0...clients[i].up.count, using: &rng)
            for _ in 0..<arrived { try deliverToNode(i) }
            drop(i)
        }

        /// Reconnects to any node: it catches up (fetching first if the client knows more than
        /// it does), commits what it holds, sends what is durable since the client's revision,
        /// then the client resends.
        mutating func reconnect(_ i: Int) throws {
            let k = Int.random(in: nodes.indices, using: &rng)
            if clients[i].ot.revision > nodes[k].durable { try pull(k) }
            // As the server's `open` does, wait for the node's commits in flight: an op that was
            // already pending is then in the catch-up, not broadcast to the new connection.
            while !nodes[k].pending.isEmpty { try commit(k) }
            clients[i].node = k
            clients[i].epoch += 1
            clients[i].connected = true
            for committed in try nodes[k].doc.operations(since: clients[i].ot.revision) where committed.revision <= nodes[k].durable {
                let (apply, send) = try clients[i].ot.receiveCommitted(
                    committed.operation, revision: committed.revision, opId: committed.opId)
                if let apply { try apply.apply(to: &clients[i].text) }
                if let send { clients[i].up.append(send) }
            }
            if clients[i].up.isEmpty, let resend = clients[i].ot.resendable { clients[i].up.append(resend) }
        }

        mutating func step() throws {
            let i = Int.random(in: clients.indices, using: &rng)
            let k = Int.random(in: nodes.indices, using: &rng)
            let choice = Int.random(in: 0..<24, using: &rng)
            if ProcessInfo.processInfo.environment["SIMTRACE"] != nil {
                print("step i=\(i) k=\(k) choice=\(choice) log=\(log.count) durables=\(nodes.map(\.durable)) pend=\(nodes.map(\.pending.count)) clients=\(clients.map { "\($0.node)/\($0.connected)/\($0.ot.revision)/\($0.down.count)" })")
            }
            switch choice {
            case 0..<6: try localEdit(i)
            case 6..<11: if clients[i].connected, !clients[i].up.isEmpty { try deliverToNode(i) }
            case 11..<16: if clients[i].connected, !clients[i].down.isEmpty { try deliverToClient(i) }
            case 16..<19: try commit(k)
            case 19..<21: try pull(k)
            default: if clients[i].connected { try disconnect(i) } else { try reconnect(i) }
            }
        }

        mutating func drain() throws {
            var rounds = 0
            while true {
                rounds += 1
                guard rounds < 10_000 else { throw OTError.invalidEncoding("no quiescence after 10,000 rounds") }
                for i in clients.indices where !clients[i].connected { try reconnect(i) }
                var progressed = false
                for i in clients.indices where clients[i].connected {
                    if !clients[i].up.isEmpty { try deliverToNode(i); progressed = true }
                    if !clients[i].down.isEmpty { try deliverToClient(i); progressed = true }
                }
                for k in nodes.indices {
                    if !nodes[k].pending.isEmpty { try commit(k); progressed = true }
                    if log.count > nodes[k].durable { try pull(k); progressed = true }
                }
                if !progressed, clients.allSatisfy({ $0.connected }) { return }
            }
        }
    }

    @Test func clientsOnSeveralNodesConvergeOnTheLog() throws {
        for seed in 0..<UInt64(propertyCases(1_500)) {
            var sim = Simulation(seed: seed)
            do {
                for _ in 0..<Int.random(in: 10...120, using: &sim.rng) { try sim.step() }
                try sim.drain()
            } catch {
                Issue.record("seed \(seed): \(error)")
                continue
            }
            let text = try sim.logText()
            var seen = Set<String>()
            for committed in sim.log {
                let key = "\(committed.author ?? "")/\(committed.opId ?? "")"
                #expect(seen.insert(key).inserted, "seed \(seed): \(key) is in the log twice")
            }
            for (k, node) in sim.nodes.enumerated() {
                #expect(node.doc.text == text, "seed \(seed): node \(k) diverged from the log")
            }
            for (i, client) in sim.clients.enumerated() {
                #expect(client.text == text, "seed \(seed): client \(i) diverged: \(client.text.description.debugDescription) vs \(text.description.debugDescription)")
                #expect(client.ot.state == .synchronized, "seed \(seed): client \(i) still pending")
                #expect(client.ot.revision == sim.log.count, "seed \(seed): client \(i) revision")
            }
        }
    }

    @Test func integratedHistoryReplaysToTheText() throws {
        for seed in 0..<UInt64(propertyCases(2_000)) {
            var rng = SeededRandom(seed: seed)
            let base = randomText(maxPieces: 10, using: &rng)
            var doc = OTDocument(text: TextBuffer(base), historyLimit: 100_000)
            var remoteText = TextBuffer(base)
            var remote: [CommittedOperation] = []
            for r in 0..<Int.random(in: 0...4, using: &rng) {
                let op = randomOperation(length: remoteText.count, using: &rng)
                try op.apply(to: &remoteText)
                remote.append(CommittedOperation(revision: r + 1, operation: op, opId: "r\(r)", author: "y"))
            }
            var inverses: [TextOperation] = []
            var submissions: [OTDocument.Submission] = []
            // Clients only know durable revisions: every local op is based on revision 0.
            for l in 0..<Int.random(in: 0...4, using: &rng) {
                let op = randomOperation(length: base.unicodeScalars.count, using: &rng)
                let receipt = try doc.receive(op, baseRevision: 0, opId: "l\(l)", author: "x\(l)", invertible: true)
                inverses.append(receipt.inverse!)
                submissions.append(.init(operation: op, baseRevision: 0, opId: "l\(l)", author: "x\(l)"))
            }
            let before = doc.text
            let integration = try doc.integrate(remote, after: 0, undoing: inverses, resubmitting: submissions)
            var replay = TextBuffer(base)
            for committed in try doc.operations(since: 0) { try committed.operation.apply(to: &replay) }
            #expect(replay == doc.text, "seed \(seed)")
            #expect(try doc.operations(since: 0).prefix(remote.count).map(\.opId) == remote.map(\.opId), "seed \(seed)")
            var moved = before
            for move in integration.moves { try move.apply(to: &moved) }
            #expect(moved == doc.text, "seed \(seed): the moves do not lead from the old text to the new")
        }
    }

    @Test func integratePutsRemoteOpsBeforeSpeculativeOnes() throws {
        var doc = OTDocument(text: TextBuffer("ab"))
        let local = TextOperation([.retain(1), .insert("L"), .retain(1)])
        let receipt = try doc.receive(local, baseRevision: 0, opId: "1", author: "x", invertible: true)
        let remote = CommittedOperation(revision: 1, operation: TextOperation([.retain(1), .insert("R"), .retain(1)]),
                                        opId: "9", author: "y")
        let integration = try doc.integrate([remote], after: 0, undoing: [receipt.inverse!],
                                            resubmitting: [.init(operation: local, baseRevision: 0, opId: "1", author: "x")])
        // The resubmitted op keeps priority, as a client's in-flight op does: "L" before "R".
        #expect(doc.text.description == "aLRb")
        #expect(doc.revision == 2)
        #expect(integration.receipts.map(\.committed.revision) == [2])
        #expect(try doc.operations(since: 0).map(\.opId) == ["9", "1"])
        // A submission the other authority committed already is a duplicate of its copy.
        var other = OTDocument(text: TextBuffer("ab"))
        let mine = try other.receive(local, baseRevision: 0, opId: "1", author: "x", invertible: true)
        let copy = CommittedOperation(revision: 1, operation: local, opId: "1", author: "x")
        let settled = try other.integrate([copy], after: 0, undoing: [mine.inverse!],
                                          resubmitting: [.init(operation: local, baseRevision: 0, opId: "1", author: "x")])
        #expect(settled.receipts.map(\.isDuplicate) == [true])
        #expect(other.text.description == "aLb")
    }

    @Test func anotherAuthorsOpIdIsNotADuplicate() throws {
        var doc = OTDocument(text: TextBuffer(""))
        _ = try doc.receive(TextOperation([.insert("a")]), baseRevision: 0, opId: "same", author: "x")
        let other = try doc.receive(TextOperation([.insert("b")]), baseRevision: 0, opId: "same", author: "y")
        #expect(!other.isDuplicate)
        #expect(doc.text.description.count == 2)
    }
}
