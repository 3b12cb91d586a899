import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import MeshProtocol
import MeshSandbox
import MeshStore
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The running pieces of a Mesh server, built by ``buildApplication(_:store:logger:)`` for the
/// `mesh serve` command and for tests alike.
public struct MeshApplication: Sendable {
    public let application: Application<RouterResponder<MeshRequestContext>>
    public let metrics: ServerMetrics
    /// Every HTTP route as "METHOD /path/:param", for the OpenAPI coverage test.
    public let routes: [String]
    /// The certificate in use and its reload, when the server speaks TLS.
    public let tls: ReloadableTLSContext?
    let hub: CollaborationHub
}

/// Composes the router, the WebSocket hub and the services around an opened store.
public func buildApplication(
    _ configuration: ServerConfiguration, store: Store, logger: Logger,
    mailer: (any Mailer)? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> MeshApplication {
    // TLS first: a certificate or key that does not load stops the start before anything is built.
    let tls: ReloadableTLSContext?
    do { tls = try configuration.tls.map { try ReloadableTLSContext(files: $0) } } catch { throw ServerStartError("TLS: \(error)") }
    let secret = try configuration.auth.jwtSecret ?? SigningSecret.loadOrCreate(in: configuration.dataDirectory)
    let tokens = await TokenService(secret: secret, settings: configuration.auth)
    let metrics = ServerMetrics()
    let hub = CollaborationHub(store: store, limits: configuration.limits, metrics: metrics, logger: logger)
    let auth = configuration.auth
    let hasher = PasswordHasher(cost: UInt8(auth.bcryptCost))
    let live = LiveSockets()

    // The browser client (docs/web.md): cookies checked against CSRF, tickets for its sockets.
    let allowedOrigins = Set(configuration.allowedOrigins)
    let csrf = CSRFPolicy(allowedOrigins: allowedOrigins)
    // Whether a request came over https, for the cookies' Secure and the invite page's link.
    let scheme = RequestScheme(tls: tls != nil, trustedProxies: auth.trustedProxies)
    let cookies = WebCookies(settings: auth, scheme: scheme)
    let tickets = WebSocketTickets(store: store, settings: auth)

    let router = Router(context: MeshRequestContext.self)
    router.middlewares.add(ErrorMiddleware())
    router.middlewares.add(BearerAuthMiddleware(tokens: tokens))
    router.middlewares.add(CookieAuthMiddleware(tokens: tokens, csrf: csrf))
    HealthController(store: store, metrics: metrics, sendBudget: hub.sendBudget, cluster: hub.cluster).addRoutes(to: router)
    let web = WebPageController(assets: .bundled(), cookies: cookies)
    web.addRoutes(to: router)
    InvitePageController(scheme: scheme, web: web).addRoutes(to: router)
    let v1 = router.group("v1")
    let accounts = AuthController(
        store: store, tokens: tokens, hasher: hasher,
        throttle: LoginThrottle(window: auth.throttleWindow),
        decoyHash: try await hasher.hash(UUID().uuidString), live: live,
        mailer: mailer ?? LogMailer(logger: logger), settings: auth
    )
    accounts.addRoutes(to: v1)
    WebAuthController(auth: accounts, cookies: cookies, csrf: csrf).addRoutes(to: v1)
    WebSocketTicketController(tickets: tickets, store: store).addRoutes(to: v1)
    let socketAuth = SocketAuth(live: live, tokens: tokens, tickets: tickets)
    // The sandbox: this server's containers carry a label derived from its data directory, so
    // a restart finds (and removes) what a crashed run left behind.
    let sandbox: Sandbox? = configuration.sandbox.enabled
        ? Sandbox(docker: DockerClient(socketPath: configuration.sandbox.dockerSocket), image: configuration.sandbox.image,
                  limits: configuration.sandbox.limits, instance: DocumentHash.of(URL(fileURLWithPath: configuration.dataDirectory).standardizedFileURL.path),
                  cacheVolume: configuration.sandbox.limits.cacheBytes > 0 ? RuntimeImage.cacheVolume : nil,
                  logger: logger)
        : nil
    let debugHub = sandbox.map {
        DebugHub(store: store, hub: hub, sandbox: $0, dataDirectory: configuration.dataDirectory, logger: logger)
    }
    // Sessions see the sandbox: a deletion, removal or demotion stops what runs there.
    SessionController(store: store, hub: hub, limits: configuration.limits, sandbox: sandbox, debug: debugHub).addRoutes(to: v1)
    DocumentController(store: store, hub: hub, limits: configuration.limits).addRoutes(to: v1)
    RunController(store: store, hub: hub, sandbox: sandbox, dataDirectory: configuration.dataDirectory).addRoutes(to: v1)
    if let debugHub {
        await debugHub.attachToCluster()
        let debugSocket = DebugSocket(debug: debugHub, store: store, limits: configuration.limits, logger: logger,
                                      auth: socketAuth)
        v1.ws("debug") { request, _ in
            try OriginPolicy.upgrade(request, allowed: allowedOrigins)
        } onUpgrade: { inbound, outbound, context in
            await debugSocket.run(user: context.requestContext.webSocketOpener, inbound: inbound, outbound: outbound)
        }
    }

    let socket = CollaborationSocket(hub: hub, store: store, limits: configuration.limits, auth: socketAuth)
    v1.ws("ws") { request, _ in
        try OriginPolicy.upgrade(request, allowed: allowedOrigins)
    } onUpgrade: { inbound, outbound, context in
        let opener = context.requestContext.webSocketOpener
        await withTaskExecutorPreference(EventLoopTaskExecutor(context.requestContext.eventLoop)) {
            await socket.run(user: opener, inbound: inbound, outbound: outbound)
        }
    }

    // SIGHUP is trapped before the server listens, so that a renewal hook's SIGHUP always
    // reloads the certificate (and never ends the process).
    var services: [any Service] = [HubService(hub: hub), SandboxService(sandbox: sandbox, store: store, logger: logger)]
    if let cluster = hub.cluster {
        services.append(ClusterService(link: cluster, hub: hub))
        // A revocation (sign-out, password change, a refresh token used twice) closes the
        // user's sockets on every node.
        live.announceClosures { user, reason in cluster.publish(.disconnect(user: user.uuidString, reason: reason.text)) }
        cluster.onDisconnect { user, reason in await live.closeHere(user: user, reason: .revoked(reason)) }
    }
    if let tls {
        logger.notice("TLS certificate loaded", metadata: ["certificate": "\(tls.certificate)"])
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        services.append(TLSReloadService(tls: tls, hangups: hangups, logger: logger))
    }
    let app = Application(
        router: router,
        server: meshServerBuilder(
            webSocketRouter: router,
            configuration: .init(http1: .init(idleTimeout: TimeAmount(configuration.limits.idleConnectionTimeout)),
                                 ws: .init(maxFrameSize: configuration.limits.maxFrameBytes,
                                           autoPing: .enabled(timePeriod: configuration.limits.pingInterval),
                                           closeTimeout: .seconds(2))),
            headTimeout: configuration.limits.requestHeadTimeout,
            tls: tls),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "mesh"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
    let routes = router.routes.map { "\($0.method.rawValue) \($0.path)" }
    return MeshApplication(application: app, metrics: metrics, routes: routes, tls: tls, hub: hub)
}

/// Which `Origin`s may open the WebSocket. The check stops cross-site WebSocket hijacking by
/// browsers: a browser always sends its page's http(s) origin. Native clients (editors, `mesh
/// lsp`) send none or a `ws://` one, which cannot come from a web page.
enum OriginPolicy {
    static func allows(_ origin: String, host: String?, allowed: Set<String>) -> Bool {
        if allowed.contains(origin) { return true }
        let lowered = origin.lowercased()
        if lowered.hasPrefix("ws://") || lowered.hasPrefix("wss://") { return true }
        if let host, lowered == "http://\(host.lowercased())" || lowered == "https://\(host.lowercased())" { return true }
        return false
    }

    /// The upgrade check of `/v1/ws` and `/v1/debug`: a browser's upgrade must come from an
    /// allowed origin. The socket is then authenticated by the bearer token, or (without one) by
    /// the ticket in `hello`; never by a cookie, which a browser sends with a cross-site upgrade too.
    static func upgrade(_ request: Request, allowed: Set<String>) throws -> RouterShouldUpgrade {
        if let origin = request.headers[.origin], !allows(origin, host: request.head.authority, allowed: allowed) {
            throw ApiError.forbidden("origin \(origin) is not allowed")
        }
        return .upgrade([:])
    }
}

/// Removes containers a crashed run left behind at start; kills the running ones at shutdown.
struct SandboxService: Service {
    let sandbox: Sandbox?
    let store: Store
    let logger: Logger

    func run() async throws {
        guard let sandbox else {
            // Without a sandbox there is nothing to do, but a service that returns ends the
            // server (`mesh serve --no-sandbox` stopped at once): wait for the shutdown instead.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(365 * 24 * 3600)) }
            return
        }
        do {
            // A shutdown during the check ends it (dockerd may be slow or missing).
            try await cancelWhenGracefulShutdown {
                try await sandbox.docker.ping()
                try await sandbox.removeOrphans()
                // The cache volumes of earlier images (and the shared ones of earlier versions).
                do { try await sandbox.removeStaleCacheVolumes() } catch {
                    logger.notice("could not remove stale sandbox cache volumes", metadata: ["error": "\(error)"])
                }
                // And those of sessions deleted while dockerd could not remove them.
                do {
                    let removed = try await sandbox.removeCacheVolumesOfDeletedSessions { [store] in
                        try await store.sessions.find(id: $0) != nil
                    }
                    if !removed.isEmpty {
                        logger.notice("removed the cache volumes of deleted sessions", metadata: ["count": "\(removed.count)"])
                    }
                } catch {
                    logger.notice("could not remove the cache volumes of deleted sessions", metadata: ["error": "\(error)"])
                }
            }
        } catch is CancellationError {
            return await sandbox.shutdown()
        } catch {
            logger.warning("the sandbox is unavailable: mesh run and mesh dap will fail until dockerd runs", metadata: ["error": "\(error)"])
        }
        // Every minute, containers nobody here knows (created for a request of a server killed
        // mid-start, after the startup sweep) are removed.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .seconds(60))
                do { try await sandbox.sweepOrphans() } catch {
                    logger.debug("sandbox sweep failed", metadata: ["error": "\(error)"])
                }
            }
        }
        await sandbox.shutdown()
    }
}

/// The link to the other nodes on the same PostgreSQL database, until shutdown.
struct ClusterService: Service {
    let link: ClusterLink
    let hub: CollaborationHub

    func run() async throws {
        await cancelWhenGracefulShutdown { await link.run(hub: hub) }
    }
}

/// Finishes in-flight commits on graceful shutdown, and unloads idle documents meanwhile.
struct HubService: Service {
    let hub: CollaborationHub

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await gracefulShutdownSleep(seconds: 60)
            await hub.unloadIdle()
        }
        await hub.shutdown()
    }

    private func gracefulShutdownSleep(seconds: Int) async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(seconds)) }
    }
}
