/// Group commit: the rule both of Mesh's commit paths follow, a document's ops (MeshServer's
/// `DocumentActor`) and appends across documents (``OpAppendBatcher``).
///
/// What arrives while a commit runs waits and goes out with the next commit, in one statement.
/// When no commit runs, the arriving caller's own task runs the first one (no hand-off while the
/// database is idle); the commits after it run in a task of the owner's, which is never cancelled
/// (what it commits was promised already) and ends when nothing is left. The owner, an actor,
/// keeps this value and runs the loop: this value is the loop's state (running or not, and who
/// waits for its end), and ``begin()`` answers who runs it. A caller that gets `true` from
/// ``begin()`` must run the loop to its ``end()``.
public struct GroupCommit: Sendable {
    /// Whether a commit loop runs (from ``begin()`` to ``end()``).
    public private(set) var isRunning = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Asked by a caller with work queued: true when no loop ran, so the caller starts it now
    /// (the first commit in its own task); false when the running loop takes the work.
    public mutating func begin() -> Bool {
        if isRunning { return false }
        isRunning = true
        return true
    }

    /// The loop found nothing left: the next arrival starts it again. Resumes those waiting
    /// for this (``whenEnded(_:)``).
    public mutating func end() {
        isRunning = false
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting { waiter.resume() }
    }

    /// Resumes `waiter` when the running loop ends, at once when none runs. For the owner's
    /// `await withCheckedContinuation { groupCommit.whenEnded($0) }`.
    public mutating func whenEnded(_ waiter: CheckedContinuation<Void, Never>) {
        if isRunning { waiters.append(waiter) } else { waiter.resume() }
    }
}
