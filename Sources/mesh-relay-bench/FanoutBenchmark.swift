import Foundation
import MeshOT
import MeshProtocol
import NIOConcurrencyHelpers

/// `fanout`: many clients in many sessions, each typing small random edits at a steady rate
/// with an `OTClient`; broadcast latency is from one client's op send to each other session
/// member's receipt of that remoteOp.
enum FanoutBenchmark {
    struct Options {
        var clients = 200
        var perSession = 5
        var editsPerSecond = 10.0
        var seconds = 30.0
        var warmupSeconds = 1.0
    }

    static let tick = 1
    static let stop = 2

    /// Returns whether the run was correct (every op delivered, every session converged on the server's text).
    static func run(server: BenchServer, options: Options) async throws -> Bool {
        let sessions = options.clients / options.perSession
        guard sessions >= 1, options.perSession >= 2, sessions * options.perSession == options.clients else {
            throw BenchError("--clients must be a multiple of --per-session (≥ 2)")
        }
        let path = "shared.txt"
        let initial = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 40)

        // Accounts, sessions and sockets, in parallel but a few at a time.
        let setupStart = ContinuousClock.now
        let users = try await parallel(options.clients, width: 8) { i in try await server.signup("User\(i)") }
        let rooms = try await parallel(sessions, width: 4) { s in
            let members = Array(users[(s * options.perSession)..<((s + 1) * options.perSession)])
            return try await members[0].makeSession(editors: Array(members.dropFirst()), path: path, text: initial)
        }
        let joined = try await parallel(options.clients, width: 16) { i -> (BenchSocket, ServerMessage.Snapshot) in
            let socket = try await BenchSocket.connect(port: server.port, token: users[i].token)
            let snapshot = try await socket.join(session: rooms[i / options.perSession].session.uuidString, path: path)
            return (socket, snapshot)
        }
        let setupSeconds = setupStart.duration(to: .now).seconds

        let log = SendLog()
        let statuses = (0..<options.clients).map { _ in ClientStatus() }
        let interval = Duration.seconds(1 / options.editsPerSecond)
        let start = ContinuousClock.now + .milliseconds(200)
        let measureFrom = start + .seconds(options.warmupSeconds)
        let end = start + .seconds(options.seconds)
        let before = try await server.commitFigures()

        var drivers: [Task<ClientResult, any Error>] = []
        var tickers: [Task<Int, Never>] = []
        // All awaited below; cancelled if something throws first.
        defer { for task in drivers { task.cancel() }; for task in tickers { task.cancel() } }
        var phaseRNG = SplitMix64(seed: 7)
        for i in 0..<options.clients {
            let (socket, snapshot) = joined[i]
            let status = statuses[i]
            drivers.append(Task {
                try await drive(index: i, socket: socket, snapshot: snapshot, path: path, log: log,
                                status: status, measureFrom: measureFrom)
            })
            // Ticks at a random phase within the interval, on a fixed schedule (no drift).
            let phase = interval * (Double(phaseRNG.next() % 1_000_000) / 1_000_000)
            tickers.append(socket.inbox.ticks(tick, from: start + phase, every: interval, until: end))
        }
        var ticksPushed: [Int] = []
        for ticker in tickers { ticksPushed.append(await ticker.value) }

        // Drain: every client synchronized, each session's clients at one revision.
        let drainStart = ContinuousClock.now
        var converged = false
        while drainStart.duration(to: .now) < .seconds(30) {
            let now = statuses.map { $0.value }
            converged = (0..<sessions).allSatisfy { s in
                let members = now[(s * options.perSession)..<((s + 1) * options.perSession)]
                return members.allSatisfy { $0.synchronized && $0.revision == members.first!.revision && !$0.failed }
                    && (s * options.perSession..<(s + 1) * options.perSession).allSatisfy { now[$0].ticks == ticksPushed[$0] }
            }
            if converged || now.contains(where: \.failed) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let drainSeconds = drainStart.duration(to: .now).seconds
        for (socket, _) in joined { socket.inbox.push(Received(text: nil, at: .now, tag: stop)) }
        var results: [ClientResult] = []
        var failures: [String] = []
        for (i, driver) in drivers.enumerated() {
            do { results.append(try await driver.value) } catch { failures.append("client \(i): \(error)") }
        }
        let after = try await server.commitFigures()

        // Convergence against the server's text.
        var sessionsRight = 0
        var mismatches: [String] = []
        if failures.isEmpty {
            for s in 0..<sessions {
                let members = results[(s * options.perSession)..<((s + 1) * options.perSession)]
                let owner = users[s * options.perSession]
                let served = try await server.documentText(owner, session: rooms[s].session, document: rooms[s].document)
                let agree = members.allSatisfy { $0.text == served.text && $0.revision == served.revision }
                if agree { sessionsRight += 1 } else if mismatches.count < 5 {
                    mismatches.append("session \(s): server rev \(served.revision), clients "
                                      + members.map { "\($0.revision)\($0.text == served.text ? "" : "≠")" }.joined(separator: " "))
                }
            }
        }
        for (socket, _) in joined { await socket.close() }

        var broadcast = Samples()
        var ackLatency = Samples()
        var counts = ClientCounts()
        var remoteOps = 0
        for r in results {
            broadcast.merge(r.broadcast)
            ackLatency.merge(r.ack)
            counts += r.counts
            remoteOps += r.remoteOps
        }
        let expectedDeliveries = counts.opsSent * (options.perSession - 1)

        print("fanout: \(options.clients) clients in \(sessions) sessions (\(options.perSession) per session, one document each), "
              + "\(String(format: "%g", options.editsPerSecond)) edits/s per client for \(String(format: "%g", options.seconds)) s")
        print("  database: \(server.databaseDescription)")
        print("  \(server.limitsDescription)")
        print(String(format: "  setup: %d signups, %d sessions, %d sockets joined in %.1f s", options.clients, sessions,
                     options.clients, setupSeconds))
        print(counts.editsLine("made", clients: options.clients, rate: options.editsPerSecond, seconds: options.seconds))
        print("  broadcast latency (op sent → remoteOp at each other member; ops sent after a \(String(format: "%g", options.warmupSeconds)) s warm-up, "
              + "\(grouped(broadcast.count)) samples):")
        print("    \(broadcast.summary([50, 90, 99, 99.9]))")
        print("  sender op → ack: \(ackLatency.summary([50, 90, 99]))")
        print("  deliveries: \(grouped(remoteOps)) remoteOps of \(grouped(expectedDeliveries)) expected"
              + (remoteOps == expectedDeliveries ? " (every op delivered)" : " (MISSING \(expectedDeliveries - remoteOps))")
              + "; error messages: \(counts.errors); hash checks \(grouped(counts.hashChecks)), mismatches \(counts.hashMismatches)")
        print(String(format: "  drain after the last tick: %.3f s; converged: %@; sessions agreeing with the server's text: %d of %d",
                     drainSeconds, converged ? "yes" : "NO", sessionsRight, sessions))
        for line in mismatches { print("    \(line)") }
        for line in failures.prefix(5) { print("    FAILED \(line)") }
        print("  \((after - before).summary)")
        print(String(format: "  target: broadcast p99 ≤ 5 ms — result p99 %.3f ms (%@)", broadcast.percentile(99),
                     broadcast.percentile(99) <= 5 ? "met" : "missed"))
        return failures.isEmpty && converged && sessionsRight == sessions && remoteOps == expectedDeliveries
            && counts.hashMismatches == 0 && counts.errors == 0
    }

    struct ClientResult {
        var text: String
        var revision: Int
        var broadcast: Samples
        var ack: Samples
        var remoteOps: Int
        var counts = ClientCounts()
    }

    /// One client: ticks make a random edit, acks release composed edits, remoteOps are
    /// transformed and applied; everything on this one task.
    static func drive(index: Int, socket: BenchSocket, snapshot: ServerMessage.Snapshot, path: String,
                      log: SendLog, status: ClientStatus, measureFrom: ContinuousClock.Instant) async throws -> ClientResult {
        var reader = Reader(socket)
        var client = OTClient(revision: snapshot.rev, clientID: "c\(index)")
        var text = TextBuffer(snapshot.text)
        var rng = SplitMix64(seed: 0x5EED &+ UInt64(index) &* 0x9E37_79B9)
        var result = ClientResult(text: "", revision: 0, broadcast: Samples(capacity: 4_000), ack: Samples(capacity: 1_000),
                                  remoteOps: 0)
        var sentAt = ContinuousClock.now
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz ".unicodeScalars)
        var ticks = 0
        status.set(revision: client.revision, synchronized: true, ticks: 0)

        func send(_ outgoing: OutgoingOperation) async throws {
            let message = try Wire.encode(.op(.init(path: path, baseRev: outgoing.baseRevision,
                                                    ops: outgoing.operation, opId: outgoing.opId)))
            sentAt = .now
            log.record(outgoing.opId, at: sentAt)
            result.counts.opsSent += 1
            try await socket.send(message)
        }

        do {
            loop: while let item = await reader.next() {
                if let frame = item.text {
                    switch try Wire.decode(frame) {
                    case let .ack(ack):
                        if sentAt >= measureFrom { result.ack.add(item.at - sentAt) }
                        if let next = try client.receiveAck(opId: ack.opId, revision: ack.rev) { try await send(next) }
                    case let .remoteOp(remote):
                        let committed = remote.committed
                        if let id = committed.opId, let sent = log.sentAt(id), sent >= measureFrom {
                            result.broadcast.add(item.at - sent)
                        }
                        let op = try client.receiveRemote(committed.operation, revision: committed.revision)
                        try op.apply(to: &text)
                        result.remoteOps += 1
                    case let .hash(check) where check.rev == client.revision && client.state == .synchronized:
                        // Only comparable with nothing in flight: local edits are not in the server's text yet.
                        result.counts.hashChecks += 1
                        if DocumentHash.of(text.description) != check.hash { result.counts.hashMismatches += 1 }
                    case .error:
                        result.counts.errors += 1
                    default:
                        break
                    }
                } else if item.tag == tick {
                    ticks += 1
                    let length = text.count
                    let op: TextOperation
                    if length > 1_000, rng.next() % 10 < 4 {
                        let n = 1 + Int(rng.next() % 3)
                        let at = Int(rng.next() % UInt64(length - n + 1))
                        op = .replacing(at..<(at + n), with: "", in: length)
                    } else {
                        let n = 1 + Int(rng.next() % 3)
                        var typed = String.UnicodeScalarView()
                        for _ in 0..<n { typed.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
                        let at = Int(rng.next() % UInt64(length + 1))
                        op = .replacing(at..<at, with: String(typed), in: length)
                    }
                    try op.apply(to: &text)
                    result.counts.edits += 1
                    if let outgoing = try client.applyLocal(op) { try await send(outgoing) }
                } else if item.tag == stop {
                    break loop
                }
                status.set(revision: client.revision, synchronized: client.outstanding == nil, ticks: ticks)
            }
        } catch {
            status.fail()
            throw error
        }
        result.text = text.description
        result.revision = client.revision
        return result
    }

    /// Runs `count` jobs, at most `width` at a time; results in index order.
    static func parallel<T: Sendable>(_ count: Int, width: Int,
                                      _ job: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: count)
            var next = 0
            while next < min(width, count) {
                let i = next
                group.addTask { (i, try await job(i)) }
                next += 1
            }
            while let (i, value) = try await group.next() {
                results[i] = value
                if next < count {
                    let j = next
                    group.addTask { (j, try await job(j)) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}

/// When each op left its sender, by `opId` (shared by every client of the run).
final class SendLog: Sendable {
    private let sent = NIOLockedValueBox<[String: ContinuousClock.Instant]>([:])
    func record(_ opId: String, at instant: ContinuousClock.Instant) { sent.withLockedValue { $0[opId] = instant } }
    func sentAt(_ opId: String) -> ContinuousClock.Instant? { sent.withLockedValue { $0[opId] } }
}

/// A client's progress, read by the coordinator while draining.
final class ClientStatus: Sendable {
    struct Value { var revision = -1; var synchronized = false; var ticks = 0; var failed = false }
    private let state = NIOLockedValueBox(Value())
    var value: Value { state.withLockedValue { $0 } }
    func set(revision: Int, synchronized: Bool, ticks: Int) {
        state.withLockedValue { $0.revision = revision; $0.synchronized = synchronized; $0.ticks = ticks }
    }
    func fail() { state.withLockedValue { $0.failed = true } }
}
