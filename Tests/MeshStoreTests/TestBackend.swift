import Foundation
import Logging
@testable import MeshStore
import Testing

/// A backend the repository contract runs against, each test on a fresh database.
enum TestBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    static let all: [TestBackend] = allCases
    var testDescription: String { rawValue }

    static let logger: Logger = {
        var logger = Logger(label: "mesh.store.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` with a store on a fresh database, then shuts it down and deletes the database.
    func withStore(_ body: (Store) async throws -> Void) async throws {
        try await withDatabase { backend in try await Store.withOpen(backend, logger: Self.logger, body) }
    }

    /// Runs `body` with a fresh, empty database (which it may open several times), then deletes it.
    func withDatabase(_ body: (StoreBackend) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("mesh-store-test-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            try await body(.sqlite(path: directory.appendingPathComponent("mesh.sqlite").path))
        case .postgres:
            let adminURL = try Self.postgresURL()
            // A generated name (hex digits only): safe to write into the DDL.
            let name = "mesh_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try await PostgresBackend.withConnection(url: adminURL, logger: Self.logger) { db in
                try await db.exec("CREATE DATABASE \(name)")
            }
            var components = URLComponents(string: adminURL)!
            components.path = "/\(name)"
            do {
                try await body(.postgres(url: components.string!))
            } catch {
                try? await Self.drop(name, adminURL: adminURL)
                throw error
            }
            try await Self.drop(name, adminURL: adminURL)
        }
    }

    private static func drop(_ name: String, adminURL: String) async throws {
        try await PostgresBackend.withConnection(url: adminURL, logger: logger) { db in
            try await db.exec("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// The server the PostgreSQL cases run against; they fail (never skip) without one.
    static func postgresURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["MESH_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw MissingPostgres()
        }
        return url
    }
}

struct MissingPostgres: Error, CustomStringConvertible {
    var description: String {
        """
        MESH_TEST_POSTGRES_URL is not set, so the PostgreSQL cases cannot run. Start a throwaway server with \
        `export MESH_TEST_POSTGRES_URL=$(scripts/postgres-test-cluster.sh)` (scripts/test.sh does it).
        """
    }
}

/// Which ``StoreError`` a call should throw.
enum StoreErrorKind: Sendable {
    case conflict, notFound, inviteUnusable
}

extension StoreError {
    var kind: StoreErrorKind {
        switch self {
        case .conflict: .conflict
        case .notFound: .notFound
        case .inviteUnusable: .inviteUnusable
        }
    }
}

/// Expects `body` to throw a ``StoreError`` of `kind`.
func expectStoreError(
    _ kind: StoreErrorKind, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected StoreError.\(kind), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error.kind == kind, "got \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected StoreError.\(kind), got \(String(reflecting: error))", sourceLocation: sourceLocation)
    }
}

/// A fixed instant plus `seconds` (dates built this way survive the round trip exactly).
func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_750_000_000 + seconds) }
