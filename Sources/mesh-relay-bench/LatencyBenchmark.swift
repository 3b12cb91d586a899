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
    private static func measure(server: BenchServer, ada: BenchServer.User, bob: BenchServer.User, lean: Bool,
                                ops: Int, warmup: Int, pings: Int) async throws -> Figures {
        let path = "latency.txt"
        let (session, document) = try await server.makeSession(owner: ada, editors: [bob], path: path, text: "")
        let total = warmup + ops
        let before = try await server.commitFigures()
        var figures: Figures
        if lean {
            let port = server.port
            figures = try await onThread {
                let a = try RawWebSocket.connect(port: port, token: ada.token)
                let b = try RawWebSocket.connect(port: port, token: bob.token)
                let base = try join(a, session: session.uuidString, path: path).rev
                _ = try join(b, session: session.uuidString, path: path)
                let messages = try encodedOps(path: path, base: base, count: total)
                var relay = Samples(capacity: ops)
                var roundTrip = Samples(capacity: ops)
                var started = ContinuousClock.now
                for i in 0..<total {
                    if i == warmup { started = .now }
                    let sent = ContinuousClock.now
                    try a.send(messages[i])
                    let (remote, relayed) = try expect(b, "remoteOp") { if case let .remoteOp(op) = $0 { op } else { nil } }
                    let (ack, acked) = try expect(a, "ack") { if case let .ack(ack) = $0 { ack } else { nil } }
                    try check(remote: remote, ack: ack, rev: base + i + 1, opId: "A:\(i + 1)")
                    if i >= warmup {
                        relay.add(relayed - sent)
                        roundTrip.add(acked - sent)
                    }
                }
                let elapsed = started.duration(to: .now).seconds
                var ping = Samples(capacity: pings)
                let message = try Wire.encode(.ping(.init(id: "p")))
                for i in 0..<(pings + pings / 10) {
                    let sent = ContinuousClock.now
                    try a.send(message)
                    let (_, at) = try expect(a, "pong") { if case .pong = $0 { true } else { nil } }
                    if i >= pings / 10 { ping.add(at - sent) }
                }
                a.close()
                b.close()
                return Figures(relay: relay, roundTrip: roundTrip, ping: ping, elapsed: elapsed,
                               commits: CommitFigures(), textRight: false)
            }
        } else {
            let socketA = try await BenchSocket.connect(port: server.port, token: ada.token)
            let socketB = try await BenchSocket.connect(port: server.port, token: bob.token)
            let base = try await socketA.join(session: session.uuidString, path: path).rev
            _ = try await socketB.join(session: session.uuidString, path: path)
            let messages = try encodedOps(path: path, base: base, count: total)
            var readerA = Reader(socketA)
            var readerB = Reader(socketB)
            var relay = Samples(capacity: ops)
            var roundTrip = Samples(capacity: ops)
            var started = ContinuousClock.now
            for i in 0..<total {
                if i == warmup { started = .now }
                let sent = ContinuousClock.now
                try await socketA.send(messages[i])
                let (remote, relayed) = try await readerB.expect("remoteOp") { if case let .remoteOp(op) = $0 { op } else { nil } }
                let (ack, acked) = try await readerA.expect("ack") { if case let .ack(ack) = $0 { ack } else { nil } }
                try check(remote: remote, ack: ack, rev: base + i + 1, opId: "A:\(i + 1)")
                if i >= warmup {
                    relay.add(relayed - sent)
                    roundTrip.add(acked - sent)
                }
            }
            let elapsed = started.duration(to: .now).seconds
            var ping = Samples(capacity: pings)
            let message = try Wire.encode(.ping(.init(id: "p")))
            for i in 0..<(pings + pings / 10) {
                let sent = ContinuousClock.now
                try await socketA.send(message)
                let (_, at) = try await readerA.expect("pong") { if case .pong = $0 { true } else { nil } }
                if i >= pings / 10 { ping.add(at - sent) }
            }
            await socketA.close()
            await socketB.close()
            figures = Figures(relay: relay, roundTrip: roundTrip, ping: ping, elapsed: elapsed,
                              commits: CommitFigures(), textRight: false)
        }
        // The commit figures span the warm-up and the pings too (pings commit nothing).
        figures.commits = try await server.commitFigures() - before
        let text = try await server.documentText(ada, session: session, document: document)
        figures.textRight = text.text == String(repeating: "x", count: total)
        return figures
    }

    /// Every message encoded before the clock starts: op i inserts "x" at the end at rev base+i.
    private static func encodedOps(path: String, base: Int, count: Int) throws -> [String] {
        var length = 0
        return try (0..<count).map { i in
            let op = TextOperation.replacing(length..<length, with: "x", in: length)
            length += 1
            return try Wire.encode(.op(.init(path: path, baseRev: base + i, ops: op, opId: "A:\(i + 1)")))
        }
    }

    private static func check(remote: ServerMessage.RemoteOp, ack: ServerMessage.Ack, rev: Int, opId: String) throws {
        guard remote.rev == rev, remote.opId == opId, ack.rev == rev, ack.opId == opId else {
            throw BenchError("op \(opId): expected rev \(rev), got remoteOp \(remote.rev) \(remote.opId ?? "-") and ack \(ack.rev) \(ack.opId)")
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
