import MeshClient
import MeshProtocol

/// One connection to the Mesh server: messages go out in the order they were queued, without
/// the caller waiting for the network. ``run(receive:)`` owns the connection's tasks — the
/// sender, the receive loop and whatever must last as long as the connection (the token renewal,
/// ``whileOpen(_:)``) — and returns when the connection has ended, with all of them.
final class SessionLink: Sendable {
    typealias Job = @Sendable () async -> Void

    private let collaboration: CollaborationClient
    private let outgoing: AsyncStream<ClientMessage>
    private let outbox: AsyncStream<ClientMessage>.Continuation
    private let jobs: AsyncStream<Job>
    private let jobQueue: AsyncStream<Job>.Continuation

    init(_ collaboration: CollaborationClient) {
        self.collaboration = collaboration
        (outgoing, outbox) = AsyncStream.makeStream(of: ClientMessage.self, bufferingPolicy: .unbounded)
        (jobs, jobQueue) = AsyncStream.makeStream(of: Job.self)
    }

    /// Queues a message; sent in order once ``run(receive:)`` runs.
    func send(_ message: ClientMessage) {
        outbox.yield(message)
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
                for await message in outgoing {
                    do { try await collaboration.send(message) } catch { break }
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
