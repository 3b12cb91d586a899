import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// A server child channel that puts a ``RequestHeadDeadline`` after `base`'s HTTP request
/// decoder, and whose connections end when their task is cancelled even before a request head
/// has come (Hummingbird's upgradable channel waits for the head without looking at cancellation).
struct HeadDeadlineChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let timeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(RequestHeadDeadline(timeout: TimeAmount(timeout), logger: logger), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        let channel = value.channel
        await withTaskCancellationHandler {
            await base.handle(value: value, logger: logger)
        } onCancel: {
            // Closes a connection still waiting for its head; one serving a request finishes it
            // (HTTP), and a WebSocket handles its own cancellation.
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        // The connection is over; a failed upgrade returns without closing it.
        channel.close(promise: nil)
    }
}
