import Foundation

/// Whom a sandbox container is for: the Mesh session whose code it runs (which picks its Go
/// build-cache volume, and whose deletion stops it) and the user who started it (counted
/// against the per-user container cap).
public struct SandboxTenant: Sendable, Hashable {
    public var session: UUID
    public var user: UUID

    public init(session: UUID, user: UUID) {
        self.session = session
        self.user = user
    }
}
