import MeshClient
import MeshProtocol

/// The bridge's connection to the Mesh server: messages go out in the order they were
/// queued, without the caller waiting for the network.
final class SessionLink: Sendable {
    let collaboration: CollaborationClient
    private let outbox: AsyncStream<ClientMessage>.Continuation
    private let sender: Task<Void, Never>

    init(_ collaboration: CollaborationClient) {
        self.collaboration = collaboration
        let (stream, outbox) = AsyncStream.makeStream(of: ClientMessage.self, bufferingPolicy: .unbounded)
        self.outbox = outbox
        sender = Task {
            for await message in stream {
                do { try await collaboration.send(message) } catch { break }
            }
        }
    }

    func send(_ message: ClientMessage) { outbox.yield(message) }

    func close() async {
        outbox.finish()
        await collaboration.close()
        sender.cancel()
    }
}
