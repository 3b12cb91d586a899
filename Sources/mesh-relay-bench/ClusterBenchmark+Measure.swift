import Foundation
import MeshClient
import MeshLoopbackBalancer
import MeshOT
import MeshProtocol

extension ClusterBenchmark {
    /// Signs the clients up, joins them to their sessions, runs them (killing the last node at
    /// `killAt`), drains, checks the texts and prints the figures; returns whether the run was correct.
    static func measure(options: Options, nodes: [BenchNode], balancer: LoopbackBalancer) async throws -> Bool {
        let perSession = options.clients / options.sessions
        let path = "cluster.txt"
        let entry = nodes[0].baseURL   // never the killed one (the last)

        let setupStart = ContinuousClock.now
        let users = try await FanoutBenchmark.parallel(options.clients, width: 8) { i in
            try await BenchUser.signup("User\(i)", at: entry)
        }
        let rooms = try await FanoutBenchmark.parallel(options.sessions, width: 4) { s -> (session: UUID, document: UUID) in
            let members = Array(users[(s * perSession)..<((s + 1) * perSession)])
            return try await members[0].makeSession(name: "cluster bench", editors: Array(members.dropFirst()),
                                                    path: path, text: "# cluster bench\n")
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
            let phase = interval * (Double(phaseRNG.next() % 1_000_000) / 1_000_000)
            tickers.append(mailboxes[i].ticks(tick, from: start + phase, every: interval, until: end))
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
        var counts = ClientCounts()
        var resends = 0, reconnects = 0
        var errorExamples: [String] = []
        for result in results.compactMap({ $0 }) {
            within.merge(result.within)
            across.merge(result.across)
            resent.merge(result.resentLatency)
            caughtUp.merge(result.caughtUpLatency)
            ack.merge(result.ack)
            reconnectTimes.merge(result.reconnectTimes)
            counts += result.counts
            resends += result.resends
            reconnects += result.reconnects
            errorExamples += result.errors.prefix(max(0, 5 - errorExamples.count))
        }
        let onVictim = options.killAt == nil ? 0 : (0..<options.clients).filter { $0 % nodes.count == victim.index }.count

        print("cluster: \(options.clients) clients in \(options.sessions) sessions (\(perSession) per session, one document each), "
              + "\(String(format: "%g", options.editsPerSecond)) edits/s per client for \(String(format: "%g", options.seconds)) s, "
              + "\(options.nodes) node\(options.nodes == 1 ? "" : "s")"
              + (killedAt.map { _ in ", node \(victim.index + 1) killed (SIGKILL) at \(String(format: "%g", options.killAt!)) s" } ?? ", no kill"))
        print(String(format: "  setup: %d signups, %d sessions, %d sockets joined (client i straight to node i mod %d) in %.1f s",
                     options.clients, options.sessions, options.clients, options.nodes, setupSeconds))
        print(counts.editsLine("typed", clients: options.clients, rate: options.editsPerSecond, seconds: options.seconds))
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
        print("  error messages: \(counts.errors)" + (errorExamples.isEmpty ? "" : " (\(errorExamples.joined(separator: "; ")))")
              + "; hash checks \(grouped(counts.hashChecks)), mismatches \(counts.hashMismatches)")
        print(String(format: "  drain after the last tick: %.3f s; converged: %@; sessions agreeing with the server's text: %d of %d",
                     drainSeconds, converged ? "yes" : "NO", sessionsRight, options.sessions))
        for line in mismatches { print("    \(line)") }
        for line in failures.prefix(5) { print("    FAILED \(line)") }
        for node in nodes where node.index != victim.index || killedAt == nil {
            let figures = await node.clusterFigures()
            print("  node \(node.index + 1): \(figures)")
        }
        return failures.isEmpty && converged && sessionsRight == options.sessions && wrongTokens.isEmpty && lostTokens.isEmpty
            && missingDeliveries == 0 && duplicates == 0 && unexpectedDeliveries == 0 && counts.errors == 0 && counts.hashMismatches == 0
    }
}
