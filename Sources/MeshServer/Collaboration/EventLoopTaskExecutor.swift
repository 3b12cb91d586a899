import NIOCore

/// Runs a task's jobs on a NIO event loop.
///
/// Each `/v1/ws` connection's tasks (its reader, its writer, and the document actors and commits
/// they call into) prefer the event loop of the connection's channel. A frame read on that loop
/// is then handled on it without a hand-off to Swift's global executor, and what the handler
/// writes is on the loop already; only the database's answer, and a write to a peer on another
/// loop, cross threads. This took about a third off the relay latency (docs/performance.md).
///
/// A job enqueued on a loop that has shut down would never run, so the loop must outlive the
/// tasks: the server's loops are NIO's singleton group, which lives as long as the process.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
