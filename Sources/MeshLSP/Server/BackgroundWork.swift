/// The work a ``LanguageServer`` does besides answering the editor in order: connecting,
/// receiving from the Mesh server, reconnect delays, coalesced renders and disk writes, and the
/// commands that wait on the network. Each job runs as a child of ``LanguageServer/run(_:)``'s
/// task group, so every one of them is cancelled when serving ends; jobs started while nothing
/// runs the group wait for it.
final class BackgroundWork: Sendable {
    typealias Job = @Sendable () async -> Void
    let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation

    init() {
        (jobs, continuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Runs `job` in the server's task group.
    func start(_ job: @escaping Job) { continuation.yield(job) }

    /// No more jobs: the group's loop ends and what still runs is cancelled.
    func finish() { continuation.finish() }
}
