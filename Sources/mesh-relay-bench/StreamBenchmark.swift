import Foundation
import MeshOT
import MeshProtocol
import MeshTraces

/// `stream`: an editing trace typed by A as fast as A's loop goes, sent through the server to
/// B. Flow control is the OT client's: one op in flight, later edits composed meanwhile.
/// With `oneByOne`, A waits for each edit's ack before making the next (every edit its own op).
enum StreamBenchmark {
    /// Returns whether the run was correct (every op delivered, B's and the server's text right).
    static func run(server: BenchServer, trace: EditingTrace, limit: Int?, oneByOne: Bool) async throws -> Bool {
        let path = "stream.txt"
        let patches = limit.map { Array(trace.patches.prefix($0)) } ?? trace.patches
        let complete = patches.count == trace.patches.count
        let ada = try await server.signup("Ada")
        let bob = try await server.signup("Bob")
        let (session, document) = try await ada.makeSession(editors: [bob], path: path, text: "")
        let socketA = try await BenchSocket.connect(port: server.port, token: ada.token)
        let socketB = try await BenchSocket.connect(port: server.port, token: bob.token)
        let snapshotA = try await socketA.join(session: session.uuidString, path: path)
        let snapshotB = try await socketB.join(session: session.uuidString, path: path)
        let before = try await server.commitFigures()

        let reader = Task { try await readAll(socketB, snapshot: snapshotB) }
        defer { reader.cancel() }   // awaited below; cancelled if the sending side throws first
        var readerA = Reader(socketA)
        var client = OTClient(revision: snapshotA.rev, clientID: "A")
        var text = TextBuffer(snapshotA.text)
        var opsSent = 0
        var largestOp = 0
        var roundTrip = Samples()
        var sentAt = ContinuousClock.now

        func send(_ outgoing: OutgoingOperation) async throws {
            let message = try Wire.encode(.op(.init(path: path, baseRev: outgoing.baseRevision,
                                                    ops: outgoing.operation, opId: outgoing.opId)))
            opsSent += 1
            largestOp = max(largestOp, message.utf8.count)
            sentAt = .now
            try await socketA.send(message)
        }
        /// A's incoming frame: an ack may release the composed buffer as the next op.
        func handle(_ item: Received) throws -> OutgoingOperation? {
            guard let frame = item.text else { return nil }
            switch try Wire.decode(frame) {
            case let .ack(ack):
                roundTrip.add(item.at - sentAt)
                return try client.receiveAck(opId: ack.opId, revision: ack.rev)
            case let .error(error):
                throw BenchError("A got error \(error)")
            default:
                return nil
            }
        }

        let start = ContinuousClock.now
        if oneByOne {
            for patch in patches {
                let op = TextOperation.replacing(patch.position..<(patch.position + patch.deleted),
                                                 with: patch.inserted, in: text.count)
                try op.apply(to: &text)
                guard let outgoing = try client.applyLocal(op) else { throw BenchError("an op was already in flight") }
                try await send(outgoing)
                while client.outstanding != nil {
                    guard let item = await readerA.next() else { throw BenchError("A's connection closed") }
                    if try handle(item) != nil { throw BenchError("nothing should be buffered") }
                }
            }
        } else {
            for (i, patch) in patches.enumerated() {
                while let item = readerA.poll() {
                    if let next = try handle(item) { try await send(next) }
                }
                let op = TextOperation.replacing(patch.position..<(patch.position + patch.deleted),
                                                 with: patch.inserted, in: text.count)
                try op.apply(to: &text)
                if let outgoing = try client.applyLocal(op) { try await send(outgoing) }
                // Let the other tasks (sockets, server) use this thread now and then.
                if i & 63 == 63 { await Task.yield() }
            }
        }
        let typed = ContinuousClock.now
        while client.outstanding != nil {
            guard let item = await readerA.next() else { throw BenchError("A's connection closed") }
            if let next = try handle(item) { try await send(next) }
        }
        let finalRevision = client.revision
        let aDone = ContinuousClock.now
        socketB.inbox.push(Received(text: nil, at: aDone, tag: finalRevision))
        let b = try await reader.value
        let seconds = start.duration(to: max(aDone, b.lastApplied)).seconds
        let after = try await server.commitFigures()
        let serverText = try await server.documentText(ada, session: session, document: document)
        await socketA.close()
        await socketB.close()

        let final = b.text.description
        let expected = complete ? trace.endContent : text.description
        let edits = patches.count
        print("stream: trace \(trace.name), \(grouped(edits)) edits typed by A, relayed through the server to B")
        print("  mode: " + (oneByOne
            ? "one by one: A waits for each edit's ack before the next edit (every edit is its own op)"
            : "flow control: OTClient, one op in flight, edits composed while waiting; A yields every 64 edits"))
        print("  database: \(server.databaseDescription)")
        print("  \(server.limitsDescription)")
        print(String(format: "  total: %.3f s (A's first edit → A has the last ack and B applied the last remoteOp); A finished typing after %.3f s",
                     seconds, start.duration(to: typed).seconds))
        print(String(format: "  edits/s: %.0f", Double(edits) / seconds))
        print(String(format: "  ops over the wire: %@ (%.1f edits per op), largest op message %@ bytes",
                     grouped(opsSent), Double(edits) / Double(max(1, opsSent)), grouped(largestOp)))
        print("  A op send → ack: \(roundTrip.summary())")
        print("  remoteOps received by B: \(grouped(b.remoteOps)) of \(grouped(opsSent)) sent"
              + (b.remoteOps == opsSent ? " (every op delivered)" : " (LOST OPS)")
              + "; server hash checks at B: \(b.hashChecks), mismatches \(b.hashMismatches)")
        print("  final revision: A \(finalRevision), B \(b.revision), server \(serverText.revision)")
        print("  B's text == " + (complete ? "endContent" : "A's text (partial trace)") + ": \(final == expected)"
              + ", == server's text: \(final == serverText.text) (\(grouped(final.unicodeScalars.count)) characters)")
        print("  \((after - before).summary)")
        print("  target: ≥ 50,000 edits/s, every op delivered, final text right  (pycrdt-websocket here: 3,456 ops/s)")
        return final == expected && final == serverText.text && b.remoteOps == opsSent && b.hashMismatches == 0
            && serverText.revision == finalRevision
    }

    struct ReaderResult {
        var text: TextBuffer
        var revision: Int
        var remoteOps: Int
        var hashChecks: Int
        var hashMismatches: Int
        /// When B applied its last remoteOp.
        var lastApplied: ContinuousClock.Instant
    }

    /// B: applies every remoteOp until it reaches the revision A announces at the end.
    static func readAll(_ socket: BenchSocket, snapshot: ServerMessage.Snapshot) async throws -> ReaderResult {
        var reader = Reader(socket)
        var client = OTClient(revision: snapshot.rev, clientID: "B")
        var text = TextBuffer(snapshot.text)
        var target: Int?
        var remoteOps = 0
        var hashChecks = 0
        var hashMismatches = 0
        var lastApplied = ContinuousClock.now
        while let item = await reader.next() {
            if let frame = item.text {
                switch try Wire.decode(frame) {
                case let .remoteOp(remote):
                    let op = try client.receiveRemote(remote.committed.operation, revision: remote.committed.revision)
                    try op.apply(to: &text)
                    remoteOps += 1
                    lastApplied = .now
                case let .hash(check) where check.rev == client.revision:
                    hashChecks += 1
                    if DocumentHash.of(text.description) != check.hash { hashMismatches += 1 }
                case let .error(error):
                    throw BenchError("B got error \(error)")
                default:
                    break
                }
            } else {
                target = item.tag
            }
            if let target, client.revision >= target {
                return ReaderResult(text: text, revision: client.revision, remoteOps: remoteOps,
                                    hashChecks: hashChecks, hashMismatches: hashMismatches, lastApplied: lastApplied)
            }
        }
        throw BenchError("B's connection closed at revision \(client.revision)")
    }
}
