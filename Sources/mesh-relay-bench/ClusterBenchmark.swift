import Foundation
import MeshClient
import MeshLoopbackBalancer
import MeshOT
import MeshProtocol
import NIOConcurrencyHelpers

/// `cluster`: `--nodes` real `mesh serve` processes on one fresh PostgreSQL database (all with
/// one signing secret), a ``LoopbackBalancer`` in front of them, and `--clients` clients in
/// `--sessions` sessions (one document each) typing unique tokens at `--rate` for `--seconds`.
/// Half-way (`--kill-at`) the last node is killed with SIGKILL; its clients reconnect through
/// the balancer, catch up and resend, as `mesh lsp` does.
///
/// Clients first connect straight to the nodes, round-robin (client i to node i mod N), so each
/// knows its node; after the kill they reconnect through the balancer one at a time (a gate),
/// so that ``LoopbackBalancer/backend(ofConnection:)`` tells which node each one reached. That
/// gives the broadcast latency split: sender and receiver on one node, or on two.
///
/// Every token is a whole line inserted at a line start (never inside another token), so the
/// final text must hold each typed token exactly once.
enum ClusterBenchmark {
    struct Options {
        var nodes = 3
        var clients = 300
        var sessions = 60
        var editsPerSecond = 10.0
        var seconds = 60.0
        /// Seconds after the start at which the last node is killed; nil: no kill.
        var killAt: Double? = 30
        var warmupSeconds = 1.0
        /// A PostgreSQL URL whose user may create databases: a fresh one is made there, dropped after.
        var adminURL = ""
        /// The `mesh` binary.
        var mesh = ""
    }

    static let tick = 1
    static let stop = 2
    /// The local event a connection's end pushes; each connection of a client has its own.
    static func closeTag(_ generation: Int) -> Int { 1_000 + generation }

    static func run(options: Options) async throws -> Bool {
        var options = options
        guard options.nodes >= 1, options.sessions >= 1, options.clients % options.sessions == 0,
              options.clients / options.sessions >= 2 else {
            throw BenchError("--clients must be a multiple of --sessions, with at least 2 clients per session, and --nodes ≥ 1")
        }
        guard FileManager.default.isExecutableFile(atPath: options.mesh) else {
            throw BenchError("no mesh binary at \(options.mesh): build it (swift build -c release --product mesh) or pass --mesh PATH")
        }
        guard !options.adminURL.isEmpty, var components = URLComponents(string: options.adminURL) else {
            throw BenchError("cluster needs PostgreSQL: --database-url URL (or $MESH_BENCH_POSTGRES_URL; scripts/postgres-test-cluster.sh prints one)")
        }
        if options.nodes < 2 { options.killAt = nil }
        if let killAt = options.killAt, killAt >= options.seconds {
            throw BenchError("--kill-at must be before the end (--seconds \(options.seconds))")
        }

        // A fresh database, dropped at the end.
        let name = "mesh_cluster_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try runTool("psql", [options.adminURL, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"])
        components.path = "/" + name
        let databaseURL = components.string!
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-cluster-bench-\(UUID().uuidString)").path
        var nodes: [BenchNode] = []
        var balancer: LoopbackBalancer?
        func cleanUp() async {
            await balancer?.stop()
            for node in nodes { _ = await node.terminate() }
            try? runTool("psql", [options.adminURL, "-qc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
            try? FileManager.default.removeItem(atPath: root)
        }
        do {
            // One signing secret for every node, as a deployment shares it (docs/deployment.md).
            let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) })
            for index in 0..<options.nodes {
                let directory = root + "/node\(index + 1)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                guard FileManager.default.createFile(atPath: directory + "/jwt-secret", contents: secret,
                                                     attributes: [.posixPermissions: 0o600]) else {
                    throw BenchError("cannot write \(directory)/jwt-secret")
                }
                // One after the other: the first runs the migrations.
                nodes.append(try await BenchNode.start(index: index, mesh: options.mesh, dataDirectory: directory,
                                                       databaseURL: databaseURL))
            }
            let formedFrom = ContinuousClock.now
            while true {
                var formed = true
                for node in nodes where (await node.peers())?.count != options.nodes - 1 { formed = false }
                if formed { break }
                guard formedFrom.duration(to: .now) < .seconds(30) else {
                    throw BenchError("the nodes did not all hear each other within 30 s (their /health)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let front = try await LoopbackBalancer.start(backends: nodes.map(\.address))
            balancer = front
            print("cluster: \(options.nodes) mesh serve processes (\(options.mesh)) on PostgreSQL database \(name) at "
                  + "\(components.host ?? "?"):\(components.port ?? 5432), ports \(nodes.map { String($0.port) }.joined(separator: ", ")); "
                  + "loopback balancer on \(front.port) (round-robin, a refusing node skipped)")
            let correct = try await measure(options: options, nodes: nodes, balancer: front)
            await cleanUp()
            return correct
        } catch {
            await cleanUp()
            throw error
        }
    }

    struct User: Sendable {
        let api: MeshAPIClient
        let id: UUID
        let token: String
    }

    /// What every client's driver shares.
    struct Shared: Sendable {
        let log: ClusterSendLog
        let gate: ConnectGate
        let balancer: LoopbackBalancer
        /// `127.0.0.1:port` → node index.
        let nodeIndex: [String: Int]
        let measureFrom: ContinuousClock.Instant
    }

    static func measure(options: Options, nodes: [BenchNode], balancer: LoopbackBalancer) async throws -> Bool {
        let perSession = options.clients / options.sessions
        let path = "cluster.txt"
        let entry = nodes[0].baseURL   // never the killed one (the last)

        let setupStart = ContinuousClock.now
        let users = try await FanoutBenchmark.parallel(options.clients, width: 8) { i in
            try await signup(entry, "User\(i)")
        }
        let rooms = try await FanoutBenchmark.parallel(options.sessions, width: 4) { s -> (session: UUID, document: UUID) in
            let members = Array(users[(s * perSession)..<((s + 1) * perSession)])
            let session = try await members[0].api.createSession(name: "cluster bench")
            let invite = try await members[0].api.createInvite(session: session.id, role: .editor, maxUses: members.count - 1)
            for member in members.dropFirst() { _ = try await member.api.join(invite: invite.code) }
            let document = try await members[0].api.createDocument(session: session.id, path: path, text: "# cluster bench\n")
            return (session.id, document.id)
        }
        let mailboxes = (0..<options.clients).map { _ in Inbox() }
        let joined = try await FanoutBenchmark.parallel(options.clients, width: 16) { i -> (BenchSocket, ServerMessage.Snapshot) in
            let node = nodes[i % nodes.count]
            let socket = try await BenchSocket.connect(port: node.port, token: users[i].token, inbox: mailboxes[i], closeTag: closeTag(0))
            try await socket.send(Wire.encode(.hello(.init(session: rooms[i / perSession].session.uuidString, client: "mesh-relay-bench"))))
            _ = try await expect(mailboxes[i], "welcome", closeTag: closeTag(0)) { if case let .welcome(w) = $0 { w } else { nil } }
            try await socket.send(Wire.encode(.open(.init(path: path))))
            let snapshot = try await expect(mailboxes[i], "snapshot", closeTag: closeTag(0)) {
                if case let .snapshot(s) = $0 { s } else { nil }
            }
            return (socket, snapshot)
        }
        let setupSeconds = setupStart.duration(to: .now).seconds

        let interval = Duration.seconds(1 / options.editsPerSecond)
        let start = ContinuousClock.now + .milliseconds(200)
        let end = start + .seconds(options.seconds)
        let shared = Shared(log: ClusterSendLog(), gate: ConnectGate(), balancer: balancer,
                            nodeIndex: Dictionary(uniqueKeysWithValues: nodes.map { ($0.address, $0.index) }),
                            measureFrom: start + .seconds(options.warmupSeconds))
        let statuses = (0..<options.clients).map { _ in ClientStatus() }

        var drivers: [Task<ClientResult, any Error>] = []
        var tickers: [Task<Int, Never>] = []
        var killer: Task<ContinuousClock.Instant?, Never>?
        defer {
            for task in drivers { task.cancel() }
            for task in tickers { task.cancel() }
            killer?.cancel()
        }
        for i in 0..<options.clients {
            let (socket, snapshot) = joined[i]
            let user = users[i], session = rooms[i / perSession].session.uuidString, status = statuses[i], mailbox = mailboxes[i]
            drivers.append(Task {
                try await drive(index: i, user: user, session: session, path: path, node: i % nodes.count, socket: socket,
                                snapshot: snapshot, mailbox: mailbox, shared: shared, status: status)
            })
        }
        var phaseRNG = SplitMix64(seed: 7)
        for i in 0..<options.clients {
            let mailbox = mailboxes[i]
            let phase = interval * (Double(phaseRNG.next() % 1_000_000) / 1_000_000)
            tickers.append(Task {
                var next = start + phase
                var ticks = 0
                while next < end {
                    try? await Task.sleep(until: next, clock: .continuous)
                    mailbox.push(Received(text: nil, at: .now, tag: tick))
                    ticks += 1
                    next += interval
                }
                return ticks
            })
        }
        let victim = nodes[nodes.count - 1]
        if let killAt = options.killAt {
            killer = Task {
                try? await Task.sleep(until: start + .seconds(killAt), clock: .continuous)
                guard !Task.isCancelled else { return nil }
                let at = ContinuousClock.now
                await victim.kill9()
                return at
            }
        }
        var ticksPushed: [Int] = []
        for ticker in tickers { ticksPushed.append(await ticker.value) }
        let killedAt = await killer?.value ?? nil

        // Drain: every client caught up and synchronized, each session's clients at one revision.
        let drainStart = ContinuousClock.now
        var converged = false
        while drainStart.duration(to: .now) < .seconds(60) {
            let now = statuses.map(\.value)
            converged = (0..<options.sessions).allSatisfy { s in
                let members = (s * perSession)..<((s + 1) * perSession)
                return members.allSatisfy { now[$0].synchronized && now[$0].revision == now[members.lowerBound].revision
                    && !now[$0].failed && now[$0].ticks == ticksPushed[$0] }
            }
            if converged || now.contains(where: \.failed) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let drainSeconds = drainStart.duration(to: .now).seconds
        for mailbox in mailboxes { mailbox.push(Received(text: nil, at: .now, tag: stop)) }
        var results: [ClientResult?] = []
        var failures: [String] = []
        for (i, driver) in drivers.enumerated() {
            do { results.append(try await driver.value) } catch {
                results.append(nil)
                failures.append("client \(i): \(error)")
            }
        }

        // The server's text of each session (from node 1, which is never killed) against the clients'.
        var sessionsRight = 0
        var mismatches: [String] = []
        var typedTotal = 0, wrongTokens: [String] = []
        var ackedBeforeKill = 0, ackedBeforeKillFound = 0, lostTokens: [String] = []
        var expectedDeliveries = 0, deliveries = 0, missingDeliveries = 0, unexpectedDeliveries = 0, duplicates = 0
        for s in 0..<options.sessions {
            let members = (s * perSession)..<((s + 1) * perSession)
            let served = try await users[members.lowerBound].api.document(session: rooms[s].session, id: rooms[s].document)
            var counts: [Substring: Int] = [:]
            for line in served.text.split(separator: "\n") { counts[line, default: 0] += 1 }
            let memberResults = members.compactMap { results[$0] }
            if memberResults.count == perSession,
               memberResults.allSatisfy({ $0.text == served.text && $0.revision == served.revision }) {
                sessionsRight += 1
            } else if mismatches.count < 5 {
                mismatches.append("session \(s): server revision \(served.revision), clients "
                                  + memberResults.map { "\($0.revision)\($0.text == served.text ? "" : "≠")" }.joined(separator: " "))
            }
            let sessionOps = memberResults.reduce(into: Set<String>()) { $0.formUnion($1.ownOps) }
            for result in memberResults {
                typedTotal += result.typed.count
                for token in result.typed where counts[Substring(token)] != 1 { wrongTokens.append(token) }
                if let killedAt {
                    for confirmed in result.confirmed where confirmed.at < killedAt {
                        ackedBeforeKill += 1
                        if counts[Substring(confirmed.token)] == 1 { ackedBeforeKillFound += 1 } else { lostTokens.append(confirmed.token) }
                    }
                }
                let expected = sessionOps.subtracting(result.ownOps)
                expectedDeliveries += expected.count
                deliveries += result.received.intersection(expected).count
                missingDeliveries += expected.subtracting(result.received).count
                unexpectedDeliveries += result.received.subtracting(expected).count
                duplicates += result.duplicates
            }
        }

        var within = Samples(), across = Samples(), resent = Samples(), caughtUp = Samples(), ack = Samples(), reconnectTimes = Samples()
        var edits = 0, opsSent = 0, resends = 0, reconnects = 0, errors = 0, hashChecks = 0, hashMismatches = 0
        var errorExamples: [String] = []
        for result in results.compactMap({ $0 }) {
            within.merge(result.within)
            across.merge(result.across)
            resent.merge(result.resentLatency)
            caughtUp.merge(result.caughtUpLatency)
            ack.merge(result.ack)
            reconnectTimes.merge(result.reconnectTimes)
            edits += result.edits
            opsSent += result.opsSent
            resends += result.resends
            reconnects += result.reconnects
            errors += result.errorCount
            hashChecks += result.hashChecks
            hashMismatches += result.hashMismatches
            errorExamples += result.errors.prefix(max(0, 5 - errorExamples.count))
        }
        let onVictim = options.killAt == nil ? 0 : (0..<options.clients).filter { $0 % nodes.count == victim.index }.count

        print("cluster: \(options.clients) clients in \(options.sessions) sessions (\(perSession) per session, one document each), "
              + "\(String(format: "%g", options.editsPerSecond)) edits/s per client for \(String(format: "%g", options.seconds)) s, "
              + "\(options.nodes) node\(options.nodes == 1 ? "" : "s")"
              + (killedAt.map { _ in ", node \(victim.index + 1) killed (SIGKILL) at \(String(format: "%g", options.killAt!)) s" } ?? ", no kill"))
        print(String(format: "  setup: %d signups, %d sessions, %d sockets joined (client i straight to node i mod %d) in %.1f s",
                     options.clients, options.sessions, options.clients, options.nodes, setupSeconds))
        print(String(format: "  edits: %@ typed (%.0f/s, target %.0f/s); ops sent: %@ (%@ composed into a pending op)",
                     grouped(edits), Double(edits) / options.seconds, Double(options.clients) * options.editsPerSecond,
                     grouped(opsSent), grouped(edits - opsSent)))
        print("  broadcast latency (op sent → remoteOp at each other member; ops first sent after a "
              + "\(String(format: "%g", options.warmupSeconds)) s warm-up):")
        print("    within a node (sender and receiver on one node): \(grouped(within.count)) samples, \(within.summary([50, 90, 99, 99.9]))")
        print("    across nodes (sender and receiver on two nodes): \(grouped(across.count)) samples, \(across.summary([50, 90, 99, 99.9]))")
        if killedAt != nil {
            print("    ops resent after a reconnect (first send → delivery, the outage included): \(grouped(resent.count)) samples, "
                  + resent.summary([50, 99]))
            print("    delivered in a receiver's catch-up after its reconnect: \(grouped(caughtUp.count)) samples, "
                  + caughtUp.summary([50, 99]))
        }
        print("  sender op → ack (not resent): \(ack.summary([50, 90, 99]))")
        print("  deliveries (each op to every other member of its session exactly once): \(grouped(deliveries)) made of "
              + "\(grouped(expectedDeliveries)) expected" + (missingDeliveries == 0 ? "" : ", MISSING \(grouped(missingDeliveries))")
              + (duplicates == 0 ? "" : ", DUPLICATED \(duplicates)") + (unexpectedDeliveries == 0 ? "" : ", UNEXPECTED \(unexpectedDeliveries)"))
        print("  tokens: \(grouped(typedTotal)) typed, \(grouped(wrongTokens.count)) not exactly once in the final text"
              + (wrongTokens.isEmpty ? "" : " (e.g. \(wrongTokens.prefix(5).joined(separator: " ")))"))
        if killedAt != nil {
            print("  acknowledged before the kill: \(grouped(ackedBeforeKill)) tokens; found once in the final documents: "
                  + "\(grouped(ackedBeforeKillFound)); lost: \(grouped(lostTokens.count)) (goal 0)"
                  + (lostTokens.isEmpty ? "" : " (e.g. \(lostTokens.prefix(5).joined(separator: " ")))"))
            print("  reconnects: \(reconnects) (clients on the killed node: \(onVictim)); socket closed → caught up: "
                  + reconnectTimes.summary([50, 99]) + "; ops resent: \(resends)")
        }
        print("  error messages: \(errors)" + (errorExamples.isEmpty ? "" : " (\(errorExamples.joined(separator: "; ")))")
              + "; hash checks \(grouped(hashChecks)), mismatches \(hashMismatches)")
        print(String(format: "  drain after the last tick: %.3f s; converged: %@; sessions agreeing with the server's text: %d of %d",
                     drainSeconds, converged ? "yes" : "NO", sessionsRight, options.sessions))
        for line in mismatches { print("    \(line)") }
        for line in failures.prefix(5) { print("    FAILED \(line)") }
        for node in nodes where node.index != victim.index || killedAt == nil {
            let figures = await node.clusterFigures()
            print("  node \(node.index + 1): \(figures)")
        }
        return failures.isEmpty && converged && sessionsRight == options.sessions && wrongTokens.isEmpty && lostTokens.isEmpty
            && missingDeliveries == 0 && duplicates == 0 && unexpectedDeliveries == 0 && errors == 0 && hashMismatches == 0
    }

    static func signup(_ server: String, _ name: String) async throws -> User {
        let api = MeshAPIClient(server: server)
        let tokens = try await api.signup(email: "\(name.lowercased())-\(UUID().uuidString.prefix(8))@bench.example",
                                          displayName: name, password: "correct horse battery staple")
        return User(api: api, id: tokens.user.id, token: tokens.accessToken)
    }

    /// Skips frames in `mailbox` until one decodes to what `match` accepts (an `error`, or the
    /// connection's end, fails). What followed in the same batch is put back.
    static func expect<T>(_ mailbox: Inbox, _ what: String, closeTag: Int, _ match: (ServerMessage) -> T?) async throws -> T {
        while let batch = await mailbox.next() {
            for (k, item) in batch.enumerated() {
                guard let text = item.text else {
                    if item.tag == closeTag { throw BenchError("the connection closed while waiting for \(what)") }
                    continue
                }
                let message = try Wire.decode(text)
                if case let .error(error) = message { throw BenchError("expected \(what), got error \(error)") }
                if let found = match(message) {
                    mailbox.pushFront(Array(batch[(k + 1)...]))
                    return found
                }
            }
        }
        throw BenchError("the inbox ended while waiting for \(what)")
    }

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
        var edits = 0
        var opsSent = 0
        var resends = 0
        var reconnects = 0
        var errorCount = 0
        var errors: [String] = []
        var hashChecks = 0
        var hashMismatches = 0
    }

    private enum Phase { case live, awaitingWelcome, awaitingAnswer }

    /// One client, on one task: ticks type a token; acks release composed edits; remote ops
    /// are transformed and applied; when the socket closes, it reconnects through the balancer,
    /// reopens with `knownRev`, catches up (its own ops count as acks) and resends.
    static func drive(index: Int, user: User, session: String, path: String, node initialNode: Int, socket first: BenchSocket,
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
            result.errorCount += 1
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
                result.opsSent += 1
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
        func committed(_ operation: TextOperation, revision: Int, author: String?, opId: String?,
                       at: ContinuousClock.Instant, inCatchUp: Bool) async throws -> Bool {
            let mine = author?.lowercased() == me
            let outstanding = client.outstanding?.opId
            let (apply, next) = try client.receiveCommitted(operation, revision: revision, opId: mine ? opId : nil)
            if let apply {
                try apply.apply(to: &text)
                if mine {
                    note("own op \(opId ?? "?") at revision \(revision) arrived as a remote one (applied twice)")
                } else if let opId {
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
            } else if mine, let opId, opId == outstanding {
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
                _ = try await committed(remote.ops, revision: remote.rev, author: remote.author, opId: remote.opId,
                                        at: at, inCatchUp: false)
            case let .hash(check) where check.path == path && check.rev == client.revision && client.state == .synchronized:
                result.hashChecks += 1
                if DocumentHash.of(text.description) != check.hash { result.hashMismatches += 1 }
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
                                if try await committed(op.ops, revision: op.rev, author: op.author, opId: op.opId, at: item.at, inCatchUp: true) {
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
                                if case let .remoteOp(remote) = message, remote.path == path, remote.rev <= client.revision { continue }
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
                    result.edits += 1
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

/// When each op was first sent, and from which node (by `opId`, shared by every client); an
/// op resent after a reconnect is marked, so its latency (the outage included) is kept apart.
final class ClusterSendLog: Sendable {
    struct Entry: Sendable {
        var at: ContinuousClock.Instant
        var node: Int
        var resent = false
    }
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    func sent(_ opId: String, at: ContinuousClock.Instant, node: Int) {
        entries.withLockedValue { entries in
            if entries[opId] == nil { entries[opId] = Entry(at: at, node: node) }
        }
    }

    func resent(_ opId: String) { entries.withLockedValue { $0[opId]?.resent = true } }
    func entry(_ opId: String) -> Entry? { entries.withLockedValue { $0[opId] } }
}

/// One connection through the balancer at a time (an async lock), so that the balancer's
/// connection count read before a connect names that connection.
actor ConnectGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
