import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket

/// The server `mesh serve` runs: HTTP/1.1 with the WebSocket upgrade, behind TLS when `tls` is
/// given (the upgrade then happens inside the TLS stream: `wss://`). A connection must send its
/// first request head within `headTimeout` (``RequestHeadDeadline``).
func meshServerBuilder(
    webSocketRouter: Router<MeshRequestContext>,
    configuration: HTTP1WebSocketUpgradeChannel.Configuration,
    headTimeout: Duration,
    tls: ReloadableTLSContext?
) -> HTTPServerBuilder {
    let webSocketResponder = webSocketRouter.buildResponder()
    return HTTPServerBuilder { responder in
        let http = HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                                configuration: configuration)
        guard let tls else { return HeadDeadlineChannel(base: http, timeout: headTimeout) }
        return HeadDeadlineChannel(base: ReloadableTLSChannel(base: http, tls: tls), timeout: headTimeout)
    }
}
