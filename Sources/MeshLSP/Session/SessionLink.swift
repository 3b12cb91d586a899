import MeshClient
import MeshProtocol
import Synchronization

/// One connection to the Mesh server: messages go out in the order they were queued, without
/// the caller waiting for the network, and none larger than the server takes (it would close
/// the socket, and every reconnect would send the message again). ``run(receive:)`` owns the connection's tasks — the
/// sender, the receive loop and whatever must last as long as the connection (the token renewal,
/// ``whileOpen(_:)``) — and returns when the connection has ended, with all of them.
final class SessionLink: Sendable {
    typealias Job = @Sendable () async -> Void

    /// What became of a message handed to ``send(_:)``.
    enum Sending: Sendable, Equatable {
        /// Queued: it goes out in order.
        case queued
        /// Not sent: its encoding is larger than the server takes (`limit` bytes).
        case tooLarge(limit: Int)
        /// Not sent: there is no connection (``SessionPort/send(_:)``).
        case notConnected
    }

    private let collaboration: CollaborationClient
    private let outgoing: AsyncStream<String>
    private let outbox: AsyncStream<String>.Continuation
    private let jobs: AsyncStream<Job>
    private let jobQueue: AsyncStream<Job>.Continuation
    /// The largest message the server takes (``limitMessages(to:)``).
    private let messageLimit = Atomic<Int>(ServerMessage.Welcome.defaultMaxFrameBytes)

    init(_ collaboration: CollaborationClient) {
        self.collaboration = collaboration
        (outgoing, outbox) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        (jobs, jobQueue) = AsyncStream.makeStream(of: Job.self)
    }

    /// Encodes a message and queues it, sent in order once ``run(receive:)`` runs; a message
    /// larger than the server takes is not queued.
    @discardableResult
    func send(_ message: ClientMessage) -> Sending {
        let limit = messageLimit.load(ordering: .relaxed)
        // (A message that does not encode, which Mesh's messages do not do, is not sent either.)
        guard let text = try? WireCodec.encode(message), text.utf8.count <= limit else { return .tooLarge(limit: limit) }
        outbox.yield(text)
        return .queued
    }

    /// The server takes messages of at most `bytes` (its `welcome` says; until then, the last
    /// connection's).
    func limitMessages(to bytes: Int) {
        messageLimit.store(bytes, ordering: .relaxed)
    }

    /// Runs `job` beside the connection until the connection ends (then it is cancelled).
    func whileOpen(_ job: @escaping Job) {
        jobQueue.yield(job)
    }

    /// Serves the connection until it ends: sends what is queued, hands each message from the
    /// server to `receive` in order, and runs the ``whileOpen(_:)`` jobs; then cancels what is
    /// left. Returns why the connection ended (nil: the server closed it cleanly).
    func run(receive: @escaping @Sendable (ServerMessage) async -> Void) async -> String? {
        let collaboration = self.collaboration, outgoing = self.outgoing, jobs = self.jobs, jobQueue = self.jobQueue
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await text in outgoing {
                    do { try await collaboration.send(encoded: text) } catch { break }
                }
            }
            group.addTask {
                for await message in collaboration.messages { await receive(message) }
                jobQueue.finish()
            }
            for await job in jobs { group.addTask { await job() } }
            group.cancelAll()
        }
        let error = await collaboration.closeError
        return error.map { "\($0)" }
    }

    /// Closes the connection (``run(receive:)`` then ends) and waits for it to end.
    func close() async {
        outbox.finish()
        await collaboration.close()
    }
}
