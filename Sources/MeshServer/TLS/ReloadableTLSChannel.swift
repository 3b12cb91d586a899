import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A server child channel that puts TLS in front of `base` on each new connection, with the
/// context ``ReloadableTLSContext`` holds at that moment. It is HummingbirdTLS's `TLSChannel`
/// with the context read per connection instead of fixed at start, so that a reload reaches
/// the next connection without restarting the server.
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: ReloadableTLSContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = tls.current
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
