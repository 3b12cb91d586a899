import MeshClient
import MeshProtocol

/// The work a ``LanguageServer`` does besides answering the editor in order: the server's own
/// (the commands that wait on the network, and each shared root's task group) and each
/// ``SharedRoot``'s, one `BackgroundWork` per root (``serve(_:)``). Each part starts its
/// own jobs in its root's: the session link each connection (``SessionLink/run(receive:)``: sender,
/// receiver, token renewal) and its reconnect delays, the document bridge its folder watcher, its
/// delayed disk writes and the deletions it asks the server for, presence its coalesced redraws
/// and cursor sends; the dispatcher starts the commands that wait on the network in its own.
/// Every job runs in ``LanguageServer/run(_:)``'s task group (a root's in that root's group, a
/// child of it), so all of them end when serving ends, and a root's when the root is removed;
/// jobs started while nothing runs the group wait for it.
///
/// A job that has something for the server reports an ``Event`` to the ``Inbox`` it is given;
/// the server handles it on its actor, in order with the editor's messages, and routes it to the
/// part it concerns. So no part needs a reference to the server, and none runs outside it.
final class BackgroundWork: Sendable {
    /// What a job reports back to the server.
    enum Event: Sendable {
        /// A message from the Mesh server.
        case received(ServerMessage)
        /// `link`'s connection ended; `reason` nil when the server closed it cleanly.
        case connectionEnded(SessionLink, reason: String?)
        /// Time to connect: the session found at `initialized`, or a reconnect's delay is over.
        case connect(server: String, session: String)
        /// Presence's coalesced redraw is due.
        case renderPresence
        /// Presence's coalesced cursor send is due.
        case sendCursor
        /// The document bridge's coalesced disk writes are due.
        case flushDiskWrites
        /// An open the server refused for a passing reason is due to be sent again.
        case retryOpen(String)
        /// Documents to write again: a tool changed their files a moment ago.
        case writeToDisk(Set<String>)
        /// A document whose file a write found changed and not yet taken: read it now.
        case takeFromDisk(String)
        /// Paths the folder watcher saw change, and the moves among them.
        case diskChanged(Set<String>, moves: [FolderWatcher.Move])
        /// The server was asked to rename a document whose file was renamed on disk; `done`
        /// false when it did not.
        case diskRenamed(from: String, to: String, done: Bool)
    }

    /// Where a job reports its events: the server, on its actor.
    struct Inbox: Sendable {
        let deliver: @Sendable (Event) async -> Void

        func send(_ event: Event) async {
            await deliver(event)
        }
    }

    typealias Job = @Sendable (Inbox) async -> Void
    let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation

    init() {
        (jobs, continuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Runs `job` in the server's task group.
    func start(_ job: @escaping Job) {
        continuation.yield(job)
    }

    /// Reports `event` after `delay`. When serving ends meanwhile it is reported at once (a
    /// pending disk write is still made), unless `unlessEnding`.
    func deliver(_ event: Event, after delay: Duration, unlessEnding: Bool = false) {
        start { inbox in
            if (try? await Task.sleep(for: delay)) == nil, unlessEnding { return }
            await inbox.send(event)
        }
    }

    /// No more jobs: the group's loop ends and what still runs is cancelled.
    func finish() {
        continuation.finish()
    }

    /// Runs the jobs in a task group of their own, each reporting to `inbox`, until ``finish()``
    /// or until the calling task is cancelled; then cancels what still runs and returns once all
    /// of it has ended. A ``SharedRoot``'s jobs run so, in one child task of the server's group.
    func serve(_ inbox: Inbox) async {
        let jobs = self.jobs
        await withDiscardingTaskGroup { group in
            for await job in jobs { group.addTask { await job(inbox) } }
            group.cancelAll()
        }
    }
}
