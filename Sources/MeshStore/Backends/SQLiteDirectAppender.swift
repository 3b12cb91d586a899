import Foundation
// SQLiteNIO's own copy of SQLite (symbols prefixed `sqlite_nio_`), declared in a target of
// Mesh's. It must be the same copy as SQLiteNIO's: two copies of SQLite in one process break
// each other's POSIX file locks.
import MeshSQLiteSymbols
import SQLiteNIO

/// Appends ops on the calling thread, through a second connection to the database file with its
/// statements prepared once.
///
/// Every other statement goes through SQLiteNIO, which runs it on a thread pool: a hand-off to a
/// pool thread and back, each a thread wake-up. On an edit's path those two wake-ups cost more
/// than the insert itself (`mesh-relay-bench latency`, docs/performance.md). A WAL commit with
/// `synchronous = NORMAL` writes to the WAL file without waiting for the disk, tens of
/// microseconds, so it is done where the op is, as better-sqlite3 does on Node's event loop.
///
/// It is only used while holding the ``SerializedSQLiteDatabase``'s lock (so never at the same
/// time as the main connection's statements) and never waits: its busy timeout is 0, and a busy
/// database returns `false` so that the caller takes the pool path, which waits properly.
// @unchecked: it owns C pointers (`sqlite3 *`, statements) guarded by that external lock, not its own.
final class SQLiteDirectAppender: @unchecked Sendable {
    /// The most rows one direct insert takes (a prepared statement per row count up to this).
    static let maxRows = 8
    /// The most bytes of op JSON one direct insert takes: a larger paste goes through the pool,
    /// so that an event loop never writes megabytes.
    static let maxBytes = 64 << 10
    /// Inserts made here (for tests: that the direct path is the one taken).
    private(set) var inserts = 0

    private var handle: OpaquePointer?
    private var statements: [Int: OpaquePointer] = [:]

    /// Opens the database at `path`. Statements are prepared at first use, after migrations.
    init(path: String) throws {
        var handle: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "status \(status)"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteAppendError(code: status, message: "cannot open \(path) for appends: \(message)")
        }
        self.handle = handle
        guard sqlite_nio_sqlite3_extended_result_codes(handle, 1) == SQLITE_OK else {
            close()
            throw SQLiteAppendError(code: SQLITE_ERROR, message: "cannot enable extended result codes on \(path)")
        }
        // Settings are per connection: the same as the main connection's, except that this one
        // never waits for a lock.
        for pragma in ["PRAGMA busy_timeout = 0", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL",
                       "PRAGMA wal_autocheckpoint = 0", "PRAGMA journal_size_limit = 67108864"] {
            let status = sqlite_nio_sqlite3_exec(handle, pragma, nil, nil, nil)
            guard status == SQLITE_OK else {
                let error = SQLiteAppendError(code: status, message: "\(pragma): \(errorMessage)")
                close()
                throw error
            }
        }
    }

    deinit { close() }

    private var errorMessage: String {
        handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed"
    }

    /// Whether `rows` may be inserted here (few and small enough).
    static func takes(_ rows: [OpRow]) -> Bool {
        rows.count <= maxRows && rows.reduce(0) { $0 + $1.operation.utf8.count + ($1.opId?.utf8.count ?? 0) } <= maxBytes
    }

    /// Inserts `rows` (``takes(_:)``) as one statement, now. Returns false, having written
    /// nothing, when another connection holds the database.
    func insert(_ rows: [OpRow]) throws -> Bool {
        guard let handle else { throw SQLiteAppendError(code: SQLITE_MISUSE, message: "the appender is closed") }
        guard let statement = try prepared(rows: rows.count, handle) else { return false }
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        var index: Int32 = 1
        func check(_ status: Int32) throws {
            guard status == SQLITE_OK else {
                throw SQLiteAppendError(code: status, message: "cannot bind parameter \(index): \(errorMessage)")
            }
            index += 1
        }
        // Text is bound with its byte count, so a NUL inside a client's string is kept.
        func bind(_ value: SQLiteData) throws {
            switch value {
            case let .integer(n): try check(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(n)))
            case let .float(x): try check(sqlite_nio_sqlite3_bind_double(statement, index, x))
            case .null: try check(sqlite_nio_sqlite3_bind_null(statement, index))
            case var .text(text):
                try check(text.withUTF8 { buffer in
                    // An empty string's buffer may have no address; SQLite wants one for "".
                    guard let base = buffer.baseAddress else {
                        return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, transient, UInt8(SQLITE_UTF8))
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        sqlite_nio_sqlite3_bind_text64(statement, index, $0, UInt64(buffer.count), transient, UInt8(SQLITE_UTF8))
                    }
                })
            case .blob:
                throw SQLiteAppendError(code: SQLITE_MISUSE, message: "ops have no blob columns")
            }
        }
        for value in rows.lazy.flatMap(\.sqliteData) { try bind(value) }
        let status = sqlite_nio_sqlite3_step(statement)
        switch status & 0xFF {
        case SQLITE_DONE:
            inserts += 1
            return true
        case SQLITE_BUSY, SQLITE_LOCKED:
            return false
        default:
            throw SQLiteAppendError(code: sqlite_nio_sqlite3_extended_errcode(handle), message: errorMessage)
        }
    }

    /// The insert statement for `rows` rows; nil when the database is busy (preparing reads the
    /// schema).
    private func prepared(rows: Int, _ handle: OpaquePointer) throws -> OpaquePointer? {
        if let statement = statements[rows] { return statement }
        let sql = OpRow.insertStatement(rows: rows)
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        if status & 0xFF == SQLITE_BUSY || status & 0xFF == SQLITE_LOCKED { return nil }
        guard status == SQLITE_OK, let statement else {
            throw SQLiteAppendError(code: status, message: "cannot prepare the op insert: \(errorMessage)")
        }
        statements[rows] = statement
        return statement
    }

    /// Finalizes the statements and closes the connection; inserts fail afterwards.
    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite_nio_sqlite3_close(handle) }
        handle = nil
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound text before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A failed direct append, with SQLite's extended result code.
struct SQLiteAppendError: Error, CustomStringConvertible {
    var code: Int32
    var message: String
    var description: String { "SQLite error \(code): \(message)" }

    /// The constraint that failed, if that is what happened.
    var constraint: ConstraintViolation? {
        // Extended result codes are on (checked when the connection opens).
        switch code {
        case SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_ROWID: return .unique
        case SQLITE_CONSTRAINT_FOREIGNKEY: return .foreignKey
        case SQLITE_CONSTRAINT_TRIGGER where message.contains(compactedRevisionError): return .unique
        default: return nil
        }
    }
}
