import Logging
import NIOCore
import NIOHTTP1

/// Closes a connection whose first request has not arrived within `timeout` (a client that
/// connects and sends nothing, or its head a byte at a time), and one that has not sent it yet
/// when the server quiesces or its request fails to parse. Until then, no handler of
/// Hummingbird's upgradable HTTP pipeline does either: such a connection held a socket and a task
/// until the client left, and kept the server from stopping.
///
/// "Arrived" is the head of a plain request (its body is the idle timeout's), and the end of an
/// upgrade request, which NIO's upgrade handler waits for; one with a body is closed at once
/// (NIO would fail the upgrade and leave the connection open).
///
/// Sits right after the HTTP request decoder; once the request has arrived it is a pass-through
/// (it stays in the pipeline, and after a WebSocket upgrade sees frames it does not look at).
final class RequestHeadDeadline: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private enum State { case waitingForHead, waitingForUpgradeEnd, arrived }

    private let timeout: TimeAmount
    private let logger: Logger
    private var state = State.waitingForHead
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            cutOff(context, "sent no request within \(timeout.nanoseconds / 1_000_000) ms")
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopDeadline()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only parts of the first request come here until it has arrived; nothing is unwrapped after.
        switch state {
        case .arrived:
            break
        case .waitingForHead:
            if case let .head(head) = unwrapInboundIn(data) {
                if head.headers[canonicalForm: "upgrade"].isEmpty { arrived() } else { state = .waitingForUpgradeEnd }
            }
        case .waitingForUpgradeEnd:
            switch unwrapInboundIn(data) {
            case .end: arrived()
            case .head, .body: return cutOff(context, "sent a body with an upgrade request")
            }
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if state != .arrived, event is ChannelShouldQuiesceEvent {
            return cutOff(context, "had not sent its request when the server began to stop")
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state != .arrived { cutOff(context, "sent a request that is no HTTP: \(error)") }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopDeadline()
        context.fireChannelInactive()
    }

    private func arrived() {
        state = .arrived
        stopDeadline()
    }

    private func stopDeadline() {
        deadline?.cancel()
        deadline = nil
    }

    /// The upgrade handler is told the input ended first: it then fails its wait with
    /// `inputClosed`, which Hummingbird logs at trace level, rather than an error a client could
    /// fill the log with.
    private func cutOff(_ context: ChannelHandlerContext, _ why: String) {
        guard context.channel.isActive else { return }
        logger.debug("closing a connection that \(why)",
                     metadata: ["remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
        stopDeadline()
        state = .arrived
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.close(promise: nil)
    }
}
