import NIOCore
import NIOPosix
import Synchronization

/// A TCP load balancer on 127.0.0.1, **for tests and benchmarks only** (the cluster tests and
/// `mesh-relay-bench cluster`); nothing in `mesh` depends on it, and it is no way to run Mesh in
/// production.
///
/// It listens on 127.0.0.1 and an ephemeral port (``port``) and forwards each accepted
/// connection to the next backend (`host:port`) in round-robin order. A backend that refuses the
/// connection is skipped: the next ones are tried, and when every backend refuses, the client is
/// closed. There are no sticky sessions: a client that reconnects lands wherever the rotation
/// is. Bytes are copied both ways unchanged (a WebSocket upgrade passes through as any other
/// bytes), with back-pressure (a side is read only while the other side can take more), and
/// when either side closes, both are closed.
///
/// ``setBackends(_:)`` changes the rotation at runtime; it affects the connections accepted
/// afterwards, never the ones already forwarded (they last until one side closes, as they would
/// behind a real balancer when a backend dies).
public final class LoopbackBalancer: Sendable {
    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let listener: any Channel
    private let router: Router

    private init(port: Int, listener: any Channel, router: Router) {
        self.port = port
        self.listener = listener
        self.router = router
    }

    /// Listens on 127.0.0.1 and an ephemeral port, forwarding to `backends` (`host:port` each).
    /// - Throws: ``LoopbackBalancerError`` for a backend that is not `host:port`, or the bind's error.
    public static func start(backends: [String]) async throws -> LoopbackBalancer {
        for backend in backends where Router.address(backend) == nil {
            throw LoopbackBalancerError("\(backend) is not host:port")
        }
        let router = Router(backends: backends)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Nothing is read from a client until it is glued to a backend.
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in router.accept(channel) }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = listener.localAddress?.port else {
            try? await listener.close().get()
            throw LoopbackBalancerError("the listener has no port")
        }
        return LoopbackBalancer(port: port, listener: listener, router: router)
    }

    /// The backends, in rotation order.
    public var backends: [String] { router.state.withLock { $0.backends } }

    /// Replaces the backends (`host:port` each); connections accepted from now on use them.
    /// An entry that is not `host:port` is kept, and skipped as a backend that refuses.
    public func setBackends(_ backends: [String]) {
        router.state.withLock { $0.backends = backends }
    }

    /// How many connections were accepted so far. Connections are numbered from 0 in the order
    /// they were accepted (see ``backend(ofConnection:)``).
    public var acceptedConnections: Int { router.state.withLock { $0.accepted } }

    /// The backend connection `number` was forwarded to: nil while its backend is being
    /// connected, or when every backend refused it. (A caller that opens one connection at a
    /// time learns where it went: its number is ``acceptedConnections`` read just before.)
    public func backend(ofConnection number: Int) -> String? {
        router.state.withLock { $0.routes[number] }
    }

    /// The forwarded connections open now, by backend.
    public var openConnections: [String: Int] {
        router.state.withLock { state in
            var counts: [String: Int] = [:]
            for entry in state.clients.values { if let backend = entry.backend { counts[backend, default: 0] += 1 } }
            return counts
        }
    }

    /// Stops listening and closes every forwarded connection (both sides).
    public func stop() async {
        let channels = router.stop()
        try? await listener.close().get()
        for channel in channels { try? await channel.close().get() }
    }
}

/// Why the balancer could not start.
public struct LoopbackBalancerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The rotation and the connections, shared by the listener's child channels.
final class Router: Sendable {
    struct Client {
        var channel: any Channel
        /// Set once it is glued to a backend.
        var backend: String?
        var server: (any Channel)?
    }

    struct State {
        var backends: [String]
        var cursor = 0
        var accepted = 0
        /// Connection number → the backend it went to.
        var routes: [Int: String] = [:]
        var clients: [ObjectIdentifier: Client] = [:]
        var stopped = false
    }

    let state: Mutex<State>

    init(backends: [String]) {
        state = Mutex(State(backends: backends))
    }

    /// `host:port` split at its last colon (`[::1]:80` too), or nil.
    static func address(_ backend: String) -> (host: String, port: Int)? {
        guard let colon = backend.lastIndex(of: ":"), let port = Int(backend[backend.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(backend[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// A client was accepted (on its channel's event loop): number it and forward it.
    func accept(_ client: any Channel) -> EventLoopFuture<Void> {
        let id = ObjectIdentifier(client)
        let admitted: (number: Int, candidates: [String])? = state.withLock { state in
            guard !state.stopped else { return nil }
            let number = state.accepted
            state.accepted += 1
            state.clients[id] = Client(channel: client)
            let backends = state.backends
            guard !backends.isEmpty else { return (number, []) }
            let start = state.cursor % backends.count
            state.cursor = (start + 1) % backends.count
            return (number, Array(backends[start...]) + Array(backends[..<start]))
        }
        guard let admitted else { return client.close() }
        client.closeFuture.whenComplete { _ in self.forget(id) }
        // The backend is connected once the client is registered and active (a connect that
        // completed before would find it inactive).
        return client.eventLoop.makeCompletedFuture {
            try client.pipeline.syncOperations.addHandler(ActivationHandler { channel in
                self.connect(channel, number: admitted.number, candidates: admitted.candidates[...])
            })
        }
    }

    /// Tries `candidates` in order; the first that accepts is glued to `client`.
    private func connect(_ client: any Channel, number: Int, candidates: ArraySlice<String>, skipped: Bool = false) {
        guard let backend = candidates.first else {
            client.close(promise: nil)   // every backend refused
            return
        }
        guard let address = Self.address(backend) else {
            return connect(client, number: number, candidates: candidates.dropFirst(), skipped: true)
        }
        ClientBootstrap(group: client.eventLoop)
            .connectTimeout(.seconds(2))
            .channelOption(ChannelOptions.autoRead, value: false)
            .connect(host: address.host, port: address.port)
            .whenComplete { result in
                switch result {
                case let .success(server):
                    self.glue(client, server, number: number, backend: backend, skipped: skipped)
                case .failure:
                    self.connect(client, number: number, candidates: candidates.dropFirst(), skipped: true)
                }
            }
    }

    /// Runs on `client`'s event loop, which `server` shares (its bootstrap was given that loop).
    private func glue(_ client: any Channel, _ server: any Channel, number: Int, backend: String, skipped: Bool) {
        let id = ObjectIdentifier(client)
        let live: Bool = state.withLock { state in
            guard !state.stopped, state.clients[id] != nil else { return false }
            state.clients[id]?.backend = backend
            state.clients[id]?.server = server
            state.routes[number] = backend
            // After a refusal, the rotation goes on after the backend that answered (so that a
            // dead backend's share is not all given to its successor).
            if skipped, let index = state.backends.firstIndex(of: backend) {
                state.cursor = (index + 1) % max(1, state.backends.count)
            }
            return true
        }
        // A side that closed meanwhile would never tell a handler added now.
        guard live, client.isActive, server.isActive else {
            server.close(promise: nil)
            client.close(promise: nil)
            return
        }
        let (clientSide, serverSide) = GlueHandler.matchedPair()
        do {
            try client.pipeline.syncOperations.addHandler(clientSide)
            try server.pipeline.syncOperations.addHandler(serverSide)
        } catch {
            server.close(promise: nil)
            client.close(promise: nil)
            return
        }
        client.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in client.close(promise: nil) }
        server.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in server.close(promise: nil) }
    }

    private func forget(_ id: ObjectIdentifier) {
        let server: (any Channel)? = state.withLock { state in state.clients.removeValue(forKey: id)?.server }
        server?.close(promise: nil)
    }

    /// Refuses new connections from now on; returns every channel to close.
    func stop() -> [any Channel] {
        state.withLock { state in
            state.stopped = true
            return state.clients.values.flatMap { client in [client.channel] + (client.server.map { [$0] } ?? []) }
        }
    }
}

/// Calls `onActive` once its channel is active (an accepted channel is registered after its
/// initializer ran), and passes every event on.
final class ActivationHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private let onActive: (any Channel) -> Void

    init(_ onActive: @escaping (any Channel) -> Void) {
        self.onActive = onActive
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        onActive(context.channel)
    }
}

/// One of a pair of handlers that copy bytes between two channels on one event loop (the
/// pattern of swift-nio-examples' connect-proxy): what one side reads the other writes; a side
/// reads only while its partner is writable; when one side closes or fails, both close.
final class GlueHandler {
    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init() {}

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    private func partnerClose() {
        context?.close(promise: nil)
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    private var partnerWritable: Bool {
        context?.channel.isWritable ?? false
    }
}

extension GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        partner?.partnerClose()
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
