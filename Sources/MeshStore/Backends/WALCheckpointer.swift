import Logging
import NIOPosix
import SQLiteNIO

/// Checkpoints a SQLite write-ahead log from its own connection and thread, so that the writer
/// never stalls on one.
///
/// With automatic checkpoints, every ~1,000 WAL pages the committing connection copies the log
/// back into the database file and syncs it, and every commit queued behind it waits milliseconds
/// (it was the relay's whole p99 under load). The writer turns them off (`wal_autocheckpoint = 0`);
/// this task runs PASSIVE checkpoints, which never block the writer, every `interval`, and a
/// RESTART checkpoint, which makes the writer wait briefly, only if the log still grows past
/// `maxFrames` pages. Closing the last connection checkpoints whatever is left.
final class WALCheckpointer: Sendable {
    private let connection: SQLiteConnection
    private let threadPool: NIOThreadPool
    private let task: Task<Void, Never>

    /// Opens a second connection to the database at `path` and starts checkpointing.
    static func start(path: String, logger: Logger, interval: Duration = .milliseconds(200),
                      maxFrames: Int = 16_384) async throws -> WALCheckpointer {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        var opened: SQLiteConnection?
        do {
            let connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threadPool, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
            opened = connection
            _ = try await connection.query("PRAGMA busy_timeout = 5000")
            return WALCheckpointer(connection: connection, threadPool: threadPool, logger: logger,
                                   interval: interval, maxFrames: maxFrames)
        } catch {
            try? await opened?.close()
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }

    private init(connection: SQLiteConnection, threadPool: NIOThreadPool, logger: Logger,
                 interval: Duration, maxFrames: Int) {
        self.connection = connection
        self.threadPool = threadPool
        task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                do {
                    // A checkpoint racing a commit leaves the newest frames; a second pass usually
                    // catches up, and a caught-up log is rewound by the writer's next commit.
                    var state = try await Self.checkpoint("PASSIVE", connection)
                    if state.log > state.checkpointed { state = try await Self.checkpoint("PASSIVE", connection) }
                    if state.log > maxFrames {
                        state = try await Self.checkpoint("RESTART", connection)
                        logger.debug("WAL restarted", metadata: ["frames": "\(state.log)"])
                    }
                } catch {
                    logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Runs `PRAGMA wal_checkpoint(mode)`: the log's size and how much of it is in the database.
    private static func checkpoint(_ mode: String, _ connection: SQLiteConnection) async throws -> (log: Int, checkpointed: Int) {
        let row = try await connection.query("PRAGMA wal_checkpoint(\(mode))").first
        return (row?.column("log")?.integer.map { Int($0) } ?? 0,
                row?.column("checkpointed")?.integer.map { Int($0) } ?? 0)
    }

    deinit { task.cancel() }

    /// Stops checkpointing and closes the connection.
    func stop() async {
        task.cancel()
        _ = await task.value
        try? await connection.close()
        try? await threadPool.shutdownGracefully()
    }
}
