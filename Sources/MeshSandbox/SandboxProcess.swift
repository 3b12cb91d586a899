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
    private let done: AsyncStream<Ending>
    private let doneContinuation: AsyncStream<Ending>.Continuation

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
        (done, doneContinuation) = AsyncStream.makeStream(of: Ending.self)
    }

    func start() async throws {
        let docker = self.docker, id = self.id
        try await docker.startContainer(id)
        // Idleness counts from the start, not from the creation: a first start in a session
        // fills its build-cache volume, which can take seconds on a loaded host.
        noteActivity()
        // The container stays until finish() removes it, so even an exit before this wait is
        // asked for is seen with its code.
        Task {
            let code = (try? await docker.waitContainer(id, condition: "not-running")) ?? -1
            self.finish(code)
        }
        // Limits: total wall clock and idleness.
        Task {
            let started = ContinuousClock.now
            while self.ending == nil {
                try? await Task.sleep(for: .milliseconds(200))
                if self.ending != nil { break }
                if ContinuousClock.now - started > .seconds(self.wallClock) { await self.kill(reason: .wallClock); break }
                let idle = self.state.withLockedValue { ContinuousClock.now - $0.lastActivity }
                if idle > .seconds(self.limits.idleSeconds) { await self.kill(reason: .idle); break }
            }
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
        if verdict == .crossed { Task { await self.kill(reason: .outputLimit) } }
        return verdict == .within
    }

    /// Writes to the container's stdin (counts as activity).
    public func write(_ data: Data) {
        state.withLockedValue { $0.lastActivity = .now }
        stream.write(data)
    }

    public var ending: Ending? { state.withLockedValue { $0.ending } }

    /// Kills the container (removal follows automatically).
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
        Task { try? await docker.removeContainer(id) }
        for waiter in waiters { waiter.resume(returning: ending) }
    }
}
