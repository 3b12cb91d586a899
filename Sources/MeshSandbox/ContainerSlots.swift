import Foundation

/// The sandbox's container slots: one for every container running or starting, taken before
/// Docker is asked, so that concurrent starts cannot overshoot the server-wide cap or a user's.
/// Bookkeeping only (no Docker); ``Sandbox`` holds one.
public struct ContainerSlots: Sendable {
    /// One container, running or starting.
    public struct Slot: Sendable, Hashable {
        public let tenant: SandboxTenant?
        /// The container's kind (its `dev.mesh.kind` label), if any.
        public let kind: ContainerKind?
        /// Its session was deleted, or its user lost access, while it started: it is stopped as
        /// soon as it exists.
        public internal(set) var cancelled = false
    }

    public let maxContainers: Int
    public let maxPerUser: Int
    public private(set) var slots: [UUID: Slot] = [:]
    /// Deleted sessions, and when they were closed: no slot is given for them (kept for
    /// ``closedFor``, far longer than a request takes from its access check to its slot).
    public private(set) var closedSessions: [UUID: ContinuousClock.Instant] = [:]
    public static let closedFor: Duration = .seconds(600)

    public init(maxContainers: Int, maxPerUser: Int) {
        self.maxContainers = maxContainers
        self.maxPerUser = maxPerUser
    }

    /// Containers running or starting.
    public var count: Int { slots.count }

    /// Containers running or starting for `user`.
    public func count(user: UUID) -> Int {
        slots.values.reduce(0) { $0 + ($1.tenant?.user == user ? 1 : 0) }
    }

    /// Containers running or starting for `session`.
    public func count(session: UUID) -> Int {
        slots.values.reduce(0) { $0 + ($1.tenant?.session == session ? 1 : 0) }
    }

    /// Takes a slot for a container of `tenant` (no tenant: only the server-wide cap applies),
    /// or throws ``SandboxError/userBusy(running:limit:)`` / ``SandboxError/busy(running:limit:)``,
    /// or ``SandboxError/revoked`` for a closed session.
    public mutating func reserve(for tenant: SandboxTenant?, kind: ContainerKind? = nil) throws -> UUID {
        if let tenant {
            guard closedSessions[tenant.session] == nil else { throw SandboxError.revoked }
            let mine = count(user: tenant.user)
            guard mine < maxPerUser else { throw SandboxError.userBusy(running: mine, limit: maxPerUser) }
        }
        guard slots.count < maxContainers else { throw SandboxError.busy(running: slots.count, limit: maxContainers) }
        let id = UUID()
        slots[id] = Slot(tenant: tenant, kind: kind)
        return id
    }

    /// Gives a slot back (again: nothing).
    public mutating func release(_ slot: UUID) {
        slots[slot] = nil
    }

    public func isCancelled(_ slot: UUID) -> Bool {
        slots[slot]?.cancelled ?? false
    }

    /// A deleted session: no slot is given for it any more (the ones it holds stay until
    /// released; ``cancel(session:user:kind:)`` marks them). Forgets sessions closed longer ago
    /// than ``closedFor``.
    public mutating func close(session: UUID, now: ContinuousClock.Instant = .now) {
        closedSessions = closedSessions.filter { now - $0.value < Self.closedFor }
        closedSessions[session] = now
    }

    /// Marks the slots of `session` (only `user`'s, only of `kind`, when given) cancelled; returns them.
    @discardableResult
    public mutating func cancel(session: UUID, user: UUID? = nil, kind: ContainerKind? = nil) -> Set<UUID> {
        var matched = Set<UUID>()
        for (id, slot) in slots {
            guard let tenant = slot.tenant, tenant.session == session,
                  user == nil || tenant.user == user, kind == nil || slot.kind == kind
            else { continue }
            slots[id]?.cancelled = true
            matched.insert(id)
        }
        return matched
    }
}
