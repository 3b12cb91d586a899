import Foundation
import MeshLoopbackBalancer
import MeshProtocol
import MeshTestSupport
import Testing

/// The test tool the cluster tests put in front of their nodes (MeshLoopbackBalancer).
@Suite(.timeLimit(.minutes(2))) struct LoopbackBalancerTests {
    @Test func roundRobinSkipsRefusingBackendsAndForwardsWebSockets() async throws {
        // A port nobody listens on any more.
        let gone = try await LoopbackBalancer.start(backends: [])
        let refusing = "127.0.0.1:\(gone.port)"
        await gone.stop()
        try await withServer(.sqlite) { first in
            try await withServer(.sqlite) { second in
                let a = "127.0.0.1:\(first.port)", b = "127.0.0.1:\(second.port)"
                let balancer = try await LoopbackBalancer.start(backends: [a, refusing, b])
                // A new connection per request (`Connection: close`): they alternate, never to the refusing one.
                for _ in 0..<6 {
                    let health = try await balancer.request(.GET, "/health", headers: [("Connection", "close")])
                    #expect(health.status == 200)
                }
                let routes = (0..<balancer.acceptedConnections).map { balancer.backend(ofConnection: $0) }
                #expect(routes.count >= 6)
                #expect(Array(routes.prefix(6)) == [a, b, a, b, a, b], "\(routes)")

                // A WebSocket passes through unchanged.
                balancer.setBackends([a])
                #expect(balancer.backends == [a])
                let ada = try await first.signup("Ada")
                let session = try await first.createSession(ada)
                let (socket, welcome) = try await TestSocket.join(balancer, ada, session: session)
                #expect(welcome.user.name == "Ada")
                socket.send(.ping(.init(id: "through")))
                let pong: ServerMessage.Pong = try await socket.next { if case let .pong(p) = $0 { p } else { nil } }
                #expect(pong.id == "through")
                // The HTTP connections closed (the server's side first); the WebSocket is open.
                #expect(await eventually(timeout: .seconds(5)) { balancer.openConnections == [a: 1] }, "\(balancer.openConnections)")

                // Every backend refusing: the client is closed.
                balancer.setBackends([refusing])
                await #expect(throws: (any Error).self) {
                    _ = try await balancer.request(.GET, "/health", headers: [("Connection", "close")])
                }
                #expect(balancer.backend(ofConnection: balancer.acceptedConnections - 1) == nil)

                // Stopping closes the forwarded connections too.
                await balancer.stop()
                #expect(await socket.waitClosed(), "the WebSocket closed with the balancer")
            }
        }
    }
}
