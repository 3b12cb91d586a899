import Foundation

/// Where a ``Store`` keeps its data.
public enum StoreBackend: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite database file (its directory is created when missing).
    case sqlite(path: String)
    /// A private SQLite database in memory, gone at shutdown (for tests and demos).
    case sqliteInMemory
    /// A PostgreSQL database, as `postgres://user[:password]@host[:port]/database[?sslmode=…]`.
    case postgres(url: String)

    /// The backend a server configuration names.
    ///
    /// - `nil` or empty: the SQLite file `<dataDirectory>/mesh.sqlite`;
    /// - `sqlite::memory:`: ``sqliteInMemory``; `sqlite:PATH` or `sqlite://PATH`: that SQLite file;
    /// - anything else is taken as a PostgreSQL URL, validated by ``Store/open(_:logger:)``.
    public init(databaseURL: String?, dataDirectory: String) {
        let url = databaseURL?.trimmingCharacters(in: .whitespaces) ?? ""
        if url.isEmpty {
            self = .sqlite(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("mesh.sqlite").path)
        } else if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            self = path == ":memory:" || path.isEmpty ? .sqliteInMemory : .sqlite(path: path)
        } else {
            self = .postgres(url: url)
        }
    }

    /// The folder of the SQLite file (`.` for a bare file name): what one node holds for itself,
    /// its database with the `-wal` and `-shm` files beside it. Nil in memory (the process's own)
    /// and on PostgreSQL (shared by several nodes).
    public var sqliteDirectory: String? {
        guard case let .sqlite(path) = self else { return nil }
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// "sqlite" or "postgres".
    public var name: String {
        switch self {
        case .sqlite, .sqliteInMemory: return "sqlite"
        case .postgres: return "postgres"
        }
    }

    /// The backend for logs: a PostgreSQL URL has its password hidden.
    public var description: String {
        switch self {
        case let .sqlite(path): return "sqlite:\(path)"
        case .sqliteInMemory: return "sqlite::memory:"
        case let .postgres(url): return Self.redacted(url)
        }
    }

    /// `url` with any password replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
