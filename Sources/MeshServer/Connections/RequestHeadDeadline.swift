import Logging
import NIOCore
import NIOHTTP1

/// Closes a connection whose first request head has not arrived within `timeout` (a client that
/// connects and sends nothing, or its head a byte at a time), and one that has not sent it yet
/// when the server quiesces. Until the head, no handler of Hummingbird's upgradable HTTP pipeline
/// does either: such a connection held a socket and a task until the client left, and kept the
/// server from stopping.
///
/// Sits right after the HTTP request decoder; once the head has passed it is a pass-through (it
/// stays in the pipeline, and after a WebSocket upgrade sees frames it does not look at).
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let timeout: TimeAmount
    private let logger: Logger
    private var headArrived = false
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let logger = logger
        let timeout = timeout
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            logger.debug("closing a connection that sent no request head in time",
                         metadata: ["timeout": "\(timeout)", "remote": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only parts of the first request come here before the head; nothing is unwrapped after it.
        if !headArrived, case .head = unwrapInboundIn(data) {
            headArrived = true
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !headArrived, event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}
