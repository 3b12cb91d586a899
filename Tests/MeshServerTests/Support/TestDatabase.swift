import Foundation
import MeshStore
import MeshTestSupport

/// The databases server tests run against: a temporary SQLite file, or a fresh database in the
/// PostgreSQL cluster that `scripts/test.sh` starts (`MESH_TEST_POSTGRES_URL`).
enum TestDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    var description: String { rawValue }

    /// A new, empty backend. For PostgreSQL a fresh database is created with `psql`; a missing
    /// `MESH_TEST_POSTGRES_URL` is an error, never a skip.
    func makeBackend() async throws -> StoreBackend {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return .sqlite(path: dir.appendingPathComponent("mesh.sqlite").path)
        case .postgres:
            do {
                return .postgres(url: try await createPostgresTestDatabase(prefix: "mesh_srv_"))
            } catch let error as PostgresTestDatabaseError {
                throw TestSetupError(error.description)
            }
        }
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
