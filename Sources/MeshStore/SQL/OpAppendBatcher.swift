/// Group commit across documents.
///
/// Each live document already commits its own ops in groups, but a busy server has many documents,
/// and every commit is a statement, a round trip and (on SQLite) a turn at the one writer. Appends
/// that arrive while a statement runs wait here and go out together as one multi-row
/// `INSERT INTO ops` — one statement, so one atomic commit — whose trigger advances each document.
/// If that statement fails (a taken revision or a missing document), each append is retried alone
/// so that the error reaches only its own caller. The loop follows ``GroupCommit``'s rule.
actor OpAppendBatcher {
    /// One caller's rows.
    private struct Request {
        let rows: [OpRow]
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let writer: any OpRowWriter
    private let maxRows: Int
    private var queue: [Request] = []
    private var groupCommit = GroupCommit()

    /// - Parameters:
    ///   - writer: runs each multi-row insert.
    ///   - maxRows: the most rows in one statement (the bind limit); a larger request goes alone.
    init(writer: any OpRowWriter, maxRows: Int) {
        self.writer = writer
        self.maxRows = maxRows
    }

    /// Inserts `rows` into `ops`, together with whatever other appends are waiting; returns once
    /// they are committed. With no statement running, the caller's task runs its own insert
    /// (no hand-off while the database is idle); appends that arrive meanwhile go out together
    /// next, from a task of this actor's.
    func append(_ rows: [OpRow]) async throws {
        if groupCommit.begin() {
            let failure: (any Error)?
            do {
                try await insert(rows)
                failure = nil
            } catch {
                failure = error
            }
            if queue.isEmpty {
                groupCommit.end()
            } else {
                // The loop stays running while it does, and every queued caller waits for it to
                // resume them. Never cancelled (that would fail the appends of callers who are
                // still there); it ends when the queue is empty.
                Task { await self.flush() }
            }
            if let failure { throw failure }
            return
        }
        // A statement is running: wait for the next one, which the running flush starts.
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Request(rows: rows, continuation: continuation))
        }
    }

    private func flush() async {
        while !queue.isEmpty {
            var batch = [queue.removeFirst()]
            var count = batch[0].rows.count
            while let next = queue.first, count + next.rows.count <= maxRows {
                batch.append(queue.removeFirst())
                count += next.rows.count
            }
            do {
                try await insert(batch.flatMap(\.rows))
                for request in batch { request.continuation.resume() }
            } catch {
                // A constraint violation is one append's fault (a taken revision, a deleted
                // document): retry each alone so that only its caller gets the error. Anything else
                // (busy, connection lost) would fail them all again, one timeout each.
                if batch.count == 1 || ConstraintViolation(error) == nil {
                    for request in batch { request.continuation.resume(throwing: error) }
                    continue
                }
                for request in batch {
                    do {
                        try await insert(request.rows)
                        request.continuation.resume()
                    } catch {
                        request.continuation.resume(throwing: error)
                    }
                }
            }
        }
        groupCommit.end()
    }

    private func insert(_ rows: [OpRow]) async throws {
        try await writer.insert(rows)
    }
}
