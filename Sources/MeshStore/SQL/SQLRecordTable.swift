import SQLKit

/// A repository that reads whole records of one table: the table, the columns a record is made
/// of, and how a row becomes one. Its lookups are written once here, as
/// `SELECT <columns> FROM <table> WHERE <condition>`.
protocol SQLRecordTable {
    associatedtype Record
    var db: any SQLDatabase { get }
    static var table: String { get }
    /// The columns ``record(_:)`` reads, comma-separated, in the order an INSERT lists them.
    static var columns: String { get }
    static func record(_ row: any SQLRow) throws -> Record
}

extension SQLRecordTable {
    /// The record `condition` picks, if any (a condition on a unique key picks at most one).
    func record(where condition: SQLQueryString) async throws -> Record? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM \(unsafeRaw: Self.table) WHERE \(condition)")
            .first().map(Self.record)
    }

    /// Every record `condition` picks, ordered by `order` (a column list, from code, never from a peer).
    func records(where condition: SQLQueryString, orderedBy order: String) async throws -> [Record] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM \(unsafeRaw: Self.table) WHERE \(condition)
            ORDER BY \(unsafeRaw: order)
            """).all().map(Self.record)
    }
}
