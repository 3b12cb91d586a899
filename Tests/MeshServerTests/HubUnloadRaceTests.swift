import Foundation
import MeshOT
import MeshProtocol
import MeshTestSupport
import Testing
@testable import MeshServer

/// Issue 12: the hub's idle unload checked a document's idleness, awaited, then dropped it; an
/// opener handed the actor in between subscribed to an actor nobody else would see, and the next
/// opener loaded a second one: two OT authorities for one document. Unloads now retire the actor
/// in one step with `open`, and an opener of a retired actor asks the hub again.
@Suite(.timeLimit(.minutes(3))) struct HubUnloadRaceTests {
    @Test func opensRacingIdleUnloadsKeepOneAuthority() async throws {
        let seed = SeededRandom.seed(from: "MESH_RACE_SEED")
        try await withServer(.sqlite) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (creator, _) = try await TestSocket.join(server, owner, session: session, label: "creator")
            creator.send(.open(.init(path: "race.txt", create: "")))
            _ = try await creator.next { if case .snapshot = $0 { true } else { nil } }
            creator.send(.close(.init(path: "race.txt")))
            let (a, _) = try await TestSocket.join(server, owner, session: session, label: "a")
            let (b, _) = try await TestSocket.join(server, owner, session: session, label: "b")
            let hub = server.mesh.hub
            var random = SeededRandom(seed: seed)
            let rounds = 120
            for round in 0..<rounds {
                let pauses = (0..<3).map { _ in random.int(0...300) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for pause in pauses {
                            try await Task.sleep(for: .microseconds(pause))
                            await hub.unloadIdle()
                        }
                    }
                    for (socket, name) in [(a, "a"), (b, "b")] {
                        group.addTask { try await Self.edit(socket, token: "<\(name)\(round)>", seed: seed) }
                    }
                    try await group.waitForAll()
                }
            }
            let (check, _) = try await TestSocket.join(server, owner, session: session, label: "check")
            check.send(.open(.init(path: "race.txt")))
            let final: ServerMessage.Snapshot = try await check.next { if case let .snapshot(s) = $0 { s } else { nil } }
            for round in 0..<rounds {
                for name in ["a", "b"] {
                    let token = "<\(name)\(round)>"
                    #expect(final.text.components(separatedBy: token).count == 2, "\(token) exactly once (seed \(seed))")
                }
            }
            #expect(final.rev == 2 * rounds, "every acknowledged op is in the one history (seed \(seed))")
        }
    }

    /// Opens the document, appends `token` at its end, waits for the ack, closes it; any error
    /// (a resync from a second authority's conflicting revision) fails the test.
    static func edit(_ socket: TestSocket, token: String, seed: UInt64) async throws {
        socket.send(.open(.init(path: "race.txt")))
        // Waits long enough for a loaded CI machine (the suites run in parallel); a lost answer
        // still fails, naming the seed.
        let opened: (rev: Int, text: String) = try await withSeed(seed, "\(token)'s open") {
            try await socket.next(timeout: .seconds(30)) { message -> (rev: Int, text: String)? in
            switch message {
            case let .snapshot(s) where s.path == "race.txt": return (s.rev, s.text)
            case let .error(e): Issue.record("open: \(e) (seed \(seed))"); return (-1, "")
            default: return nil
            }
            }
        }
        guard opened.rev >= 0 else { return }
        let length = opened.text.unicodeScalars.count
        let opID = "\(token)"
        socket.send(.op(.init(path: "race.txt", baseRev: opened.rev, ops: TextOperation([.retain(length), .insert(token)]), opId: opID)))
        _ = try await withSeed(seed, "\(token)'s ack") {
            try await socket.next(timeout: .seconds(30)) { message -> Bool? in
            switch message {
            case let .ack(ack) where ack.opId == opID: return true
            case let .error(e): Issue.record("\(token): \(e) (seed \(seed))"); return true
            default: return nil
            }
            }
        }
        socket.send(.close(.init(path: "race.txt")))
    }

    /// `body`, its error naming the seed to replay (`MESH_RACE_SEED`) and what was awaited.
    static func withSeed<T>(_ seed: UInt64, _ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw RaceFailure(description: "\(what): \(error) (seed \(seed); replay with MESH_RACE_SEED=\(seed))")
        }
    }

    struct RaceFailure: Error, CustomStringConvertible { var description: String }
}
