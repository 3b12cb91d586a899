import Foundation
import NIOConcurrencyHelpers

/// One running sandbox container.
public final class SandboxProcess: Sendable {
    /// Why a container ended.
    public enum Ending: Sendable, Equatable, CustomStringConvertible {
        case exited(Int)
        case killed(Reason)

        public var description: String {
            switch self {
            case let .exited(code): "exited with code \(code)"
            case let .killed(reason): "killed: \(reason)"
            }
        }
    }

    public enum Reason: String, Sendable, Equatable, CustomStringConvertible {
        case wallClock = "wall-clock limit reached"
        case idle = "idle limit reached"
        case outputLimit = "output limit reached"
        case outOfMemory = "out of memory (or killed by the kernel)"
        case requested = "stopped"
        case revoked = "stopped: the session was deleted, or its user lost access to it"
        case shutdown = "server shutting down"
        public var description: String { rawValue }
    }

    public let id: String
    public let stream: ContainerStream
    let docker: DockerClient
    let limits: SandboxLimits
    let wallClock: Double
    private let state: NIOLockedValueBox<State>
    /// Kills asked for by code that cannot wait for them (``noteOutput(_:)``,
    /// ``requestKill(reason:)``), carried out by the watcher (``watch(onEnd:)``).
    private let killRequests: AsyncStream<Reason>
    private let killRequestContinuation: AsyncStream<Reason>.Continuation

    struct State {
        var killReason: Reason?
        var ending: Ending?
        var lastActivity = ContinuousClock.now
        var output: OutputMeter
        var waiters: [CheckedContinuation<Ending, Never>] = []
    }

    init(id: String, stream: ContainerStream, docker: DockerClient, limits: SandboxLimits, wallClock: Double) {
        self.id = id
        self.stream = stream
        self.docker = docker
        self.limits = limits
        self.wallClock = wallClock
        state = NIOLockedValueBox(State(output: OutputMeter(limit: limits.outputBytes)))
        (killRequests, killRequestContinuation) = AsyncStream.makeStream(of: Reason.self)
    }

    /// Starts the container, and the task that watches it until it ends (``watch(onEnd:)``);
    /// `onEnd` runs in that task once the container has ended.
    func start(onEnd: @escaping @Sendable () async -> Void = {}) async throws {
        try await docker.startContainer(id)
        // Idleness counts from the start, not from the creation: a first start in a session
        // fills its build-cache volume, which can take seconds on a loaded host.
        noteActivity()
        // Owned by this process, and as long as its container: it ends when the container ends
        // (by itself, or through kill(), Sandbox.kill(session:) or Sandbox.shutdown()). It is
        // never cancelled: the container's end is what it waits for, and it removes the container.
        Task { await self.watch(onEnd: onEnd) }
    }

    /// Watches the container until it ends. Children: the wait for its exit, the limits, and the
    /// kills asked for meanwhile; when the wait returns, the other two are cancelled, then the
    /// ending is recorded, `onEnd` runs and the container is removed.
    private func watch(onEnd: @Sendable () async -> Void) async {
        let code = await withTaskGroup(of: Int?.self, returning: Int.self) { group in
            // The container stays until it is removed below, so even an exit before this wait is
            // asked for is seen with its code.
            group.addTask { (try? await self.docker.waitContainer(self.id, condition: "not-running")) ?? -1 }
            group.addTask {
                await self.enforceLimits()
                return nil
            }
            group.addTask {
                for await reason in self.killRequests {
                    if Task.isCancelled { break }
                    await self.kill(reason: reason)
                }
                return nil
            }
            var code = -1
            while let result = await group.next() {
                guard let result else { continue }
                code = result
                group.cancelAll()   // the container has ended: so do the limits and kill requests
            }
            return code
        }
        killRequestContinuation.finish()
        finish(code)
        await onEnd()
        try? await docker.removeContainer(id)
    }

    /// Kills the container at the total wall-clock or the idle limit; returns then, or when
    /// cancelled (the container ended).
    private func enforceLimits() async {
        let started = ContinuousClock.now
        while true {
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
            if ContinuousClock.now - started > .seconds(wallClock) { return await kill(reason: .wallClock) }
            let idle = state.withLockedValue { ContinuousClock.now - $0.lastActivity }
            if idle > .seconds(limits.idleSeconds) { return await kill(reason: .idle) }
        }
    }

    /// Resets the idle timer (traffic that is not output, e.g. DAP on the relay's socket).
    public func noteActivity() {
        state.withLockedValue { $0.lastActivity = .now }
    }

    /// Counts output towards the limit and the idle timer, where it is read (the attached stdio,
    /// and the program's output the debug relay sends as DAP events); false when over the
    /// limit: the output is dropped, and the first call over it kills the container.
    public func noteOutput(_ bytes: Int) -> Bool {
        let verdict = state.withLockedValue { state -> OutputMeter.Verdict in
            state.lastActivity = .now
            return state.output.add(bytes)
        }
        if verdict == .crossed { requestKill(reason: .outputLimit) }
        return verdict == .within
    }

    /// Kills the container without waiting (for code that cannot, such as a `deinit`): the
    /// watcher does it, as ``kill(reason:)`` would.
    public func requestKill(reason: Reason = .requested) {
        killRequestContinuation.yield(reason)
    }

    /// Writes to the container's stdin (counts as activity).
    public func write(_ data: Data) {
        state.withLockedValue { $0.lastActivity = .now }
        stream.write(data)
    }

    public var ending: Ending? { state.withLockedValue { $0.ending } }

    /// Kills the container (removal follows automatically, from the watcher).
    public func kill(reason: Reason = .requested) async {
        let first = state.withLockedValue { state -> Bool in
            guard state.killReason == nil, state.ending == nil else { return false }
            state.killReason = reason
            return true
        }
        guard first else { return }
        try? await docker.killContainer(id)
        try? await docker.removeContainer(id)
    }

    /// Waits for the end.
    @discardableResult
    public func exited() async -> Ending {
        await withCheckedContinuation { continuation in
            let ending = state.withLockedValue { state -> Ending? in
                if let ending = state.ending { return ending }
                state.waiters.append(continuation)
                return nil
            }
            if let ending { continuation.resume(returning: ending) }
        }
    }

    private func finish(_ code: Int) {
        let (ending, waiters) = state.withLockedValue { state -> (Ending, [CheckedContinuation<Ending, Never>]) in
            let ending: Ending = if let reason = state.killReason { .killed(reason) }
                else if code == 137 { .killed(.outOfMemory) } else { .exited(code) }
            state.ending = ending
            defer { state.waiters.removeAll() }
            return (ending, state.waiters)
        }
        stream.close()
        for waiter in waiters { waiter.resume(returning: ending) }
    }
}
