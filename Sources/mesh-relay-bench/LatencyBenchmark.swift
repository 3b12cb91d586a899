import Foundation
import MeshOT
import MeshProtocol

/// `latency`: A sends a 1-character insert, waits for the ack (one op in flight), and the time
/// from A's send to B's receipt of the remoteOp is one sample.
///
/// It runs twice in one process, same server, a fresh document each: with lean clients (blocking
/// sockets on their own thread, `RawWebSocket`), which measure the loopback and the server, and
/// with Hummingbird's WebSocket client (an event loop and Swift tasks, as `mesh lsp` uses), which
/// adds the client library's own hand-offs at both ends.
enum LatencyBenchmark {
    /// What one run measured.
    struct Figures {
        var relay: Samples
        var roundTrip: Samples
        var ping: Samples
        var elapsed: Double
        var commits: CommitFigures
        var textRight: Bool
    }

    /// Returns whether the runs were correct (every op relayed in order, the server's text right).
    static func run(server: BenchServer, ops: Int, warmup: Int, pings: Int) async throws -> Bool {
        let ada = try await server.signup("Ada")
        let bob = try await server.signup("Bob")
        let lean = try await measure(server: server, ada: ada, bob: bob, lean: true, ops: ops, warmup: warmup, pings: pings)
        let library = try await measure(server: server, ada: ada, bob: bob, lean: false, ops: ops, warmup: warmup, pings: pings)

        print("latency: A inserts 1 character, the server commits and relays it to B; one op in flight")
        print("  database: \(server.databaseDescription)")
        print("  \(server.limitsDescription)")
        print("  ops: \(grouped(ops)) per client kind, measured after \(grouped(warmup)) warm-up, messages encoded before timing")
        for (name, figures) in [("lean clients (blocking sockets, one thread)", lean),
                                ("Hummingbird WebSocket clients (event loop + tasks)", library)] {
            var figures = figures
            print("  \(name):")
            print("    A send → B remoteOp:  \(figures.relay.summary())")
            print("    A send → A ack:       \(figures.roundTrip.summary())")
            print(String(format: "    throughput: %.0f ops/s (each op waits for its ack)", Double(ops) / figures.elapsed))
            print("    ping → pong (same socket, no document, no database): \(figures.ping.summary([50, 99]))")
            print("    \(figures.commits.summary)")
            print("    server text after the run: \(figures.textRight ? "right" : "WRONG")")
        }
        print("  targets: p50 ≤ 0.2 ms, p99 ≤ 1 ms  (pycrdt-websocket measured here: p50 0.57 ms, p99 0.71 ms, 1.7k ops/s)")
        for (name, samples) in [("lean clients", lean.relay), ("Hummingbird clients", library.relay)] {
            var samples = samples
            print(String(format: "  result, %@: p50 %.3f ms (%@), p99 %.3f ms (%@)", name,
                         samples.percentile(50), samples.percentile(50) <= 0.2 ? "met" : "missed",
                         samples.percentile(99), samples.percentile(99) <= 1.0 ? "met" : "missed"))
        }
        return lean.textRight && library.textRight
    }

    /// One run on a fresh session and document: `ops` measured ops after `warmup`, then pings.
    private static func measure(server: BenchServer, ada: BenchUser, bob: BenchUser, lean: Bool,
                                ops: Int, warmup: Int, pings: Int) async throws -> Figures {
        let path = "latency.txt"
        let (session, document) = try await ada.makeSession(editors: [bob], path: path, text: "")
        let before = try await server.commitFigures()
        var figures: Figures
        if lean {
            let port = server.port
            figures = try await onThread {
                let a = try RawWebSocket.connect(port: port, token: ada.token)
                let b = try RawWebSocket.connect(port: port, token: bob.token)
                let base = try join(a, session: session.uuidString, path: path).rev
                _ = try join(b, session: session.uuidString, path: path)
                var run = try Recording(path: path, base: base, ops: ops, warmup: warmup, pings: pings)
                for i in run.rounds {
                    let sent = run.starting(i)
                    try a.send(run.messages[i])
                    let (remote, relayed) = try expect(b, "remoteOp") { if case let .remoteOp(op) = $0 { op.committed } else { nil } }
                    let (ack, acked) = try expect(a, "ack") { if case let .ack(ack) = $0 { ack } else { nil } }
                    try run.finished(i, sent: sent, remote: remote, relayed: relayed, ack: ack, acked: acked)
                }
                for i in run.pingRounds {
                    let sent = ContinuousClock.now
                    try a.send(run.ping)
                    let (_, at) = try expect(a, "pong") { if case .pong = $0 { true } else { nil } }
                    run.ponged(i, sent: sent, at: at)
                }
                a.close()
                b.close()
                return run.figures
            }
        } else {
            let socketA = try await BenchSocket.connect(port: server.port, token: ada.token)
            let socketB = try await BenchSocket.connect(port: server.port, token: bob.token)
            let base = try await socketA.join(session: session.uuidString, path: path).rev
            _ = try await socketB.join(session: session.uuidString, path: path)
            var readerA = Reader(socketA)
            var readerB = Reader(socketB)
            var run = try Recording(path: path, base: base, ops: ops, warmup: warmup, pings: pings)
            for i in run.rounds {
                let sent = run.starting(i)
                try await socketA.send(run.messages[i])
                let (remote, relayed) = try await readerB.expect("remoteOp") { if case let .remoteOp(op) = $0 { op.committed } else { nil } }
                let (ack, acked) = try await readerA.expect("ack") { if case let .ack(ack) = $0 { ack } else { nil } }
                try run.finished(i, sent: sent, remote: remote, relayed: relayed, ack: ack, acked: acked)
            }
            for i in run.pingRounds {
                let sent = ContinuousClock.now
                try await socketA.send(run.ping)
                let (_, at) = try await readerA.expect("pong") { if case .pong = $0 { true } else { nil } }
                run.ponged(i, sent: sent, at: at)
            }
            await socketA.close()
            await socketB.close()
            figures = run.figures
        }
        // The commit figures span the warm-up and the pings too (pings commit nothing).
        figures.commits = try await server.commitFigures() - before
        let text = try await server.documentText(ada, session: session, document: document)
        figures.textRight = text.text == String(repeating: "x", count: warmup + ops)
        return figures
    }

    /// What both client kinds share: the messages (encoded before the clock starts), which rounds
    /// count, the samples, and the check that every op came back in order.
    struct Recording {
        /// Op i inserts "x" at the end, based on rev base+i.
        let messages: [String]
        let ping: String
        private let base: Int
        private let warmup: Int
        private let pings: Int
        /// What the rounds measured (the server's commit figures and text are the caller's).
        private(set) var figures: Figures
        private var started = ContinuousClock.now

        init(path: String, base: Int, ops: Int, warmup: Int, pings: Int) throws {
            messages = try (0..<(warmup + ops)).map { i in
                let op = TextOperation.replacing(i..<i, with: "x", in: i)
                return try Wire.encode(.op(.init(path: path, baseRev: base + i, ops: op, opId: "A:\(i + 1)")))
            }
            ping = try Wire.encode(.ping(.init(id: "p")))
            self.base = base
            self.warmup = warmup
            self.pings = pings
            figures = Figures(relay: Samples(capacity: ops), roundTrip: Samples(capacity: ops), ping: Samples(capacity: pings),
                              elapsed: 0, commits: CommitFigures(), textRight: false)
        }

        var rounds: Range<Int> { 0..<messages.count }
        /// A tenth more than measured: the first tenth warms up.
        var pingRounds: Range<Int> { 0..<(pings + pings / 10) }

        /// Round `i` starts now (the throughput clock with the first measured round).
        mutating func starting(_ i: Int) -> ContinuousClock.Instant {
            let now = ContinuousClock.now
            if i == warmup { started = now }
            return now
        }

        mutating func finished(_ i: Int, sent: ContinuousClock.Instant, remote: CommittedOperation,
                               relayed: ContinuousClock.Instant, ack: ServerMessage.Ack, acked: ContinuousClock.Instant) throws {
            let rev = base + i + 1, opId = "A:\(i + 1)"
            guard remote.revision == rev, remote.opId == opId, ack.rev == rev, ack.opId == opId else {
                throw BenchError("op \(opId): expected rev \(rev), got remoteOp \(remote.revision) \(remote.opId ?? "-") and ack \(ack.rev) \(ack.opId)")
            }
            if i >= warmup {
                figures.relay.add(relayed - sent)
                figures.roundTrip.add(acked - sent)
            }
            if i == rounds.upperBound - 1 { figures.elapsed = started.duration(to: .now).seconds }
        }

        mutating func ponged(_ i: Int, sent: ContinuousClock.Instant, at: ContinuousClock.Instant) {
            if i >= pings / 10 { figures.ping.add(at - sent) }
        }
    }

    // MARK: Lean clients

    /// Runs `body` on a thread of its own (blocking reads must not hold a Swift concurrency thread
    /// that the in-process server needs).
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private static func join(_ socket: RawWebSocket, session: String, path: String) throws -> ServerMessage.Snapshot {
        try socket.send(Wire.encode(.hello(.init(session: session, client: "mesh-relay-bench"))))
        _ = try expect(socket, "welcome") { if case let .welcome(w) = $0 { w } else { nil } }
        try socket.send(Wire.encode(.open(.init(path: path))))
        return try expect(socket, "snapshot") { if case let .snapshot(s) = $0 { s } else { nil } }.0
    }

    /// Skips frames until `match` accepts one; an `error` message throws.
    private static func expect<T>(_ socket: RawWebSocket, _ what: String,
                                  _ match: (ServerMessage) -> T?) throws -> (T, ContinuousClock.Instant) {
        while true {
            let (text, at) = try socket.receive()
            let message = try Wire.decode(text)
            if case let .error(error) = message { throw BenchError("waiting for \(what): server error \(error)") }
            if let found = match(message) { return (found, at) }
        }
    }
}
