import Foundation
import Logging
import NIOConcurrencyHelpers

/// Runs commands in locked-down containers of the runtime image and makes sure none outlives
/// its limits or the server: every container carries the server's label and is removed when
/// it ends, when a limit is hit, when its session is deleted, and at the next server start if
/// the server died. Containers are capped server-wide and per user, and each session has its
/// own Go build-cache volume (`Sandbox+CacheVolumes.swift`).
public actor Sandbox {
    public let docker: DockerClient
    public let image: String
    public let limits: SandboxLimits
    /// Identifies this server's containers (stable across restarts of the same server).
    public let instance: String
    public let cacheVolume: String?
    let logger: Logger
    /// A running container and the slot it holds (released when it ends).
    private struct Running {
        let process: SandboxProcess
        let slot: UUID
    }
    private var running: [String: Running] = [:]
    /// A slot per container running or starting: the caps, and whom each container is for.
    private var slots: ContainerSlots
    /// Cache volumes a container of this server has mounted, and the first mount in progress
    /// (the container whose start fills the volume; every other start on it waits for that one).
    var seededVolumes: Set<String> = []
    private var firstMounts: [String: Task<SandboxProcess, any Error>] = [:]
    /// Removals of cache volumes an earlier run left, in the background (``sessionDeleted(_:)``);
    /// each removes its own entry when done, and ``shutdown()`` cancels those still running.
    private var volumeRemovals: [UUID: Task<Void, Never>] = [:]
    /// The relay-socket folders of this run's debug containers that are starting.
    private var relayFolders: Set<String> = []

    /// - Parameter cacheVolume: the prefix of the named volumes for Go's build cache; the image id
    ///   and the session id are appended, so every session has its own, and a rebuilt image
    ///   seeds fresh volumes from its own warm cache.
    public init(docker: DockerClient = DockerClient(), image: String = RuntimeImage.reference, limits: SandboxLimits = .init(),
                instance: String, cacheVolume: String? = RuntimeImage.cacheVolume, logger: Logger = Logger(label: "mesh.sandbox")) {
        self.docker = docker
        self.image = image
        self.limits = limits
        self.instance = instance
        self.cacheVolume = cacheVolume
        self.logger = logger
        self.slots = ContainerSlots(maxContainers: limits.maxContainers, maxPerUser: limits.maxContainersPerUser)
    }

    /// Removes containers a previous run of this server left behind; returns how many.
    @discardableResult
    public func removeOrphans() async throws -> Int {
        let orphans = try await docker.containers(label: "\(ContainerSpec.managedLabel)=\(instance)")
        for id in orphans where running[id] == nil { try await docker.removeContainer(id) }
        // And the relay-socket folders of debug starts a kill -9 interrupted (a folder lives only
        // while its container starts).
        let live = relayFolders
        let prefix = relayFolderPrefix
        for name in (try? FileManager.default.contentsOfDirectory(atPath: Self.relayFolderParent)) ?? []
        where name.hasPrefix(prefix) && !live.contains(name) {
            try? FileManager.default.removeItem(atPath: Self.relayFolderParent + "/" + name)
        }
        if !orphans.isEmpty { logger.notice("removed orphaned sandbox containers", metadata: ["count": "\(orphans.count)"]) }
        return orphans.count
    }

    /// Removes this server's containers that it does not know and that are older than
    /// `minimumAge`: ones dockerd created for a request of a server killed mid-start, after the
    /// restart's `removeOrphans` had looked. (Younger ones may be this server's own starts, whose
    /// create has not returned yet.)
    @discardableResult
    public func sweepOrphans(minimumAge: TimeInterval = 120) async throws -> Int {
        let cutoff = Date().addingTimeInterval(-minimumAge)
        let stale = try await docker.containerCreations(label: "\(ContainerSpec.managedLabel)=\(instance)")
            .filter { running[$0.id] == nil && $0.created < cutoff }
        for container in stale where running[container.id] == nil { try await docker.removeContainer(container.id) }
        if !stale.isEmpty { logger.notice("removed late orphaned sandbox containers", metadata: ["count": "\(stale.count)"]) }
        return stale.count
    }

    /// Ids of this server's containers that Docker still has.
    public func containerIDs() async throws -> [String] {
        try await docker.containers(label: "\(ContainerSpec.managedLabel)=\(instance)")
    }

    /// Where the relay's socket folders are: `/tmp`, short enough for a socket path and shared
    /// with dockerd (which bind-mounts the socket) when both run on one machine.
    static let relayFolderParent = "/tmp"
    /// This server's relay-socket folders start with this (so a restart finds a dead run's).
    var relayFolderPrefix: String { "mesh-dap-\(instance.prefix(12))-" }

    /// Starts `mesh-relay dap` over `workspace` with its DAP stream on a Unix socket: the server
    /// listens on `dap.sock` in a folder of its own (0700), bind-mounts that socket file alone
    /// into the container, and accepts the relay's one connection. The folder is gone once the
    /// container has started and the relay has connected (or the start failed): nothing of a
    /// debug session stays on the host, and the container never had a host folder to write in.
    /// The attached stdio carries the relay's own messages (stderr) and the container's end.
    /// The container is of kind ``ContainerKind/debug``.
    public func startDebugRelay(workspace: URL, tenant: SandboxTenant? = nil,
                                labels: [String: String] = [:]) async throws -> (SandboxProcess, RelaySocket) {
        let folder = relayFolderPrefix + UUID().uuidString.prefix(8).lowercased()
        let directory = Self.relayFolderParent + "/" + folder
        relayFolders.insert(folder)
        defer { dropRelayFolder(folder) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
        // Listening before the container exists: Docker needs the socket file to bind-mount it
        // (a missing source would become a folder), and the relay dials it first thing.
        let listener = try RelayListener(path: directory + "/dap.sock")
        defer { listener.close() }
        let process = try await start(["/usr/local/bin/mesh-relay", "dap"], workspace: workspace, tenant: tenant,
                                      kind: .debug, labels: labels, relaySocket: listener.path)
        do {
            let socket = try await listener.accept(timeout: .seconds(30), gaveUp: { process.ending != nil },
                                                   onActivity: { process.noteActivity() })
            return (process, socket)
        } catch {
            await process.kill()
            throw error
        }
    }

    private func dropRelayFolder(_ folder: String) {
        try? FileManager.default.removeItem(atPath: Self.relayFolderParent + "/" + folder)
        relayFolders.remove(folder)
    }

    /// Creates, attaches and starts a container running `command` over `workspace` for `tenant`
    /// (its session's cache volume and its user's cap; none: no cache volume, only the
    /// server-wide cap). `kind` goes into its slot and its `dev.mesh.kind` label (over one in
    /// `labels`), for ``kill(session:user:kind:)``. `wallClock` overrides the total limit (e.g. for `mesh run`); `relaySocket`
    /// is a listening socket on the host to bind-mount for the debug relay. Throws
    /// ``SandboxError/busy(running:limit:)`` or ``SandboxError/userBusy(running:limit:)`` over a
    /// cap, and ``SandboxError/revoked`` when ``kill(session:user:kind:)`` hit it while it started.
    public func start(_ command: [String], workspace: URL, tenant: SandboxTenant? = nil, kind: ContainerKind? = nil,
                      labels: [String: String] = [:], wallClock: Double? = nil,
                      relaySocket: String? = nil) async throws -> SandboxProcess {
        var labels = labels
        if let kind { labels[ContainerSpec.kindLabel] = kind.rawValue }
        // Before the first await: other starts run on this actor at every await, and must count
        // this one.
        let slot = try slots.reserve(for: tenant, kind: kind)
        do {
            let process = try await start(command, workspace: workspace, tenant: tenant, labels: labels,
                                          wallClock: wallClock, relaySocket: relaySocket, slot: slot)
            if slots.isCancelled(slot) {
                await process.kill(reason: .revoked)
                throw SandboxError.revoked
            }
            return process
        } catch {
            // A container that got as far as running gives its slot back when it ends as well
            // (releasing twice is harmless).
            let revoked = slots.isCancelled(slot)
            slots.release(slot)
            throw revoked ? SandboxError.revoked : error
        }
    }

    private func start(_ command: [String], workspace: URL, tenant: SandboxTenant?, labels: [String: String],
                       wallClock: Double?, relaySocket: String?, slot: UUID) async throws -> SandboxProcess {
        guard let imageID = try await docker.imageID(image) else { throw DockerError.missingImage(image) }
        var spec = ContainerSpec(image: image, command: command, workspace: workspace.path)
        spec.relaySocket = relaySocket
        spec.labels = labels
        spec.limits = limits
        // The session's own volume: nothing a session's code writes reaches another session.
        if let cacheVolume, let tenant {
            spec.cacheVolume = Self.volumeName(cacheVolume, imageID: imageID, session: tenant.session)
        }
        guard let volume = spec.cacheVolume, !seededVolumes.contains(volume) else {
            return try await create(spec, wallClock: wallClock, slot: slot)
        }
        // Docker fills a new named volume from the image when a container first mounts it, and
        // two containers doing that at once collide ("file exists"): in this server the first
        // start per volume goes alone; another server's collision is retried.
        while let first = firstMounts[volume] { _ = try? await first.value }
        if seededVolumes.contains(volume) { return try await create(spec, wallClock: wallClock, slot: slot) }
        // Owned by `firstMounts` and awaited by every start on this volume, this one first. Not
        // cancelled when this start is: the others wait for it too, and it ends with the create.
        let first = Task {
            // Runs on this actor: the entry is gone before a waiter sees the task finished.
            defer { self.firstMounts[volume] = nil }
            // Created here rather than by the container's mount, to carry this server's label:
            // only this server's start-up sweep may remove it (servers sharing a dockerd have
            // sessions the others' stores do not know). Docker still fills it on first mount.
            try await self.docker.createVolume(volume, labels: [ContainerSpec.managedLabel: self.instance])
            let process = try await self.createWhileAnotherFills(spec, wallClock: wallClock, slot: slot)
            self.seededVolumes.insert(volume)
            return process
        }
        firstMounts[volume] = first
        return try await first.value
    }

    /// `create`, retried while another server's container is filling the same fresh volume.
    private func createWhileAnotherFills(_ spec: ContainerSpec, wallClock: Double?, slot: UUID) async throws -> SandboxProcess {
        var attempt = 1
        while true {
            do {
                return try await create(spec, wallClock: wallClock, slot: slot)
            } catch let DockerError.api(_, message) where attempt < 5 && message.contains("file exists") {
                logger.notice("cache volume is being filled by another container; retrying",
                              metadata: ["volume": "\(spec.cacheVolume ?? "")", "attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(250 * attempt))
                attempt += 1
            }
        }
    }

    private func create(_ spec: ContainerSpec, wallClock: Double?, slot: UUID) async throws -> SandboxProcess {
        if slots.isCancelled(slot) { throw SandboxError.revoked }
        let id = try await docker.createContainer(spec.createBody(instance: instance))
        do {
            let stream = try await docker.attach(id)
            let process = SandboxProcess(id: id, stream: stream, docker: docker, limits: limits,
                                         wallClock: wallClock ?? limits.totalSeconds)
            running[id] = Running(process: process, slot: slot)
            // The process's watcher gives the slot back once the container has ended.
            try await process.start(onEnd: { await self.forget(id) })
            return process
        } catch {
            running[id] = nil
            try? await docker.removeContainer(id)
            throw error
        }
    }

    private func forget(_ id: String) {
        if let entry = running.removeValue(forKey: id) { slots.release(entry.slot) }
    }

    /// Containers running or starting (all, or `user`'s).
    public func containerCount(user: UUID? = nil) -> Int {
        user.map { slots.count(user: $0) } ?? slots.count
    }

    /// Kills the containers of `session` (only those `user` started, only those of `kind`, when
    /// given): the running ones now, the starting ones as soon as
    /// Docker has created them (their start throws ``SandboxError/revoked``).
    public func kill(session: UUID, user: UUID? = nil, kind: ContainerKind? = nil) async {
        let matched = slots.cancel(session: session, user: user, kind: kind)
        let processes = running.values.filter { matched.contains($0.slot) }.map(\.process)
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.kill(reason: .revoked) } }
        }
    }

    /// A session was deleted: no container starts for it any more, its containers are killed,
    /// then its cache volume is removed.
    public func sessionDeleted(_ session: UUID) async {
        slots.close(session: session)
        await kill(session: session)
        // A start already creating its container would create the volume again after its
        // removal: the volume goes once the session's starts have ended (they stop at once).
        let deadline = ContinuousClock.now + .seconds(10)
        while slots.count(session: session) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        // Awaited when this server has mounted it (the deletion answers with the volume gone);
        // one an earlier run of the server left goes in the background (were dockerd down,
        // listing the volumes would hold the answer for up to a minute).
        if hasMountedCacheVolume(of: session) {
            await removeCacheVolumes(of: session)
        } else {
            let removal = UUID()
            volumeRemovals[removal] = Task {
                // Runs on this actor, after this assignment.
                defer { self.volumeRemovals[removal] = nil }
                await self.removeCacheVolumes(of: session)
            }
        }
    }

    /// Kills every running container, and stops the background volume removals (server
    /// shutdown; the next start's sweep removes what they left).
    public func shutdown() async {
        for removal in volumeRemovals.values { removal.cancel() }
        for entry in running.values { await entry.process.kill(reason: .shutdown) }
    }
}
