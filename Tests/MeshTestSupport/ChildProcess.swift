import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// Waits up to `timeout` for the process to exit without holding a thread; true when it has.
    /// A cancelled task (a test past its time limit) gets the answer at once.
    public func exited(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { break }
        }
        return !isRunning
    }

    /// Ends the process from where nothing can wait (a `defer`): asks it to end with SIGTERM
    /// (unless `terminate` is false: the caller has asked otherwise, e.g. by closing its stdin)
    /// and returns at once. A dispatch timer kills it (SIGKILL) if it still runs after `grace`;
    /// `cleanup` runs once it has exited (e.g. to delete its data folder).
    /// The test process waits for that at its exit (``PendingTeardowns``).
    public func endWithoutWaiting(terminate: Bool = true, grace: Duration,
                                  cleanup: (@Sendable () -> Void)? = nil) {
        PendingTeardowns.begin()
        let ran = Atomic(false)
        let once: @Sendable () -> Void = {
            guard !ran.exchange(true, ordering: .relaxed) else { return }
            cleanup?()
            PendingTeardowns.end()
        }
        let previous = terminationHandler
        terminationHandler = { process in
            previous?(process)
            once()
        }
        guard isRunning else { return once() }
        if terminate { self.terminate() }
        let pid = processIdentifier
        let seconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            if isRunning { kill(pid, SIGKILL) }
        }
        // Exited between the check and the handler: the handler will not run.
        if !isRunning { once() }
    }

    /// Sends SIGTERM and waits, without holding a thread, for the exit; SIGKILL after `timeout`.
    /// The exit status, nil when it was killed by a signal.
    public func stop(timeout: Duration) async -> Int32? {
        if isRunning { terminate() }
        if await !exited(within: timeout) {
            kill(processIdentifier, SIGKILL)
            // SIGKILL cannot be refused: the exit follows at once (waited for on a dispatch thread).
            await offCooperativePool { self.waitUntilExit() }
        }
        return terminationReason == .exit ? terminationStatus : nil
    }
}

/// Teardowns started without waiting (from a `defer`): the test process waits for them when it
/// exits, for a minute at most, so that none is cut off with it (a server never stopped, a
/// session's cache volume never deleted).
public enum PendingTeardowns {
    private static let group: DispatchGroup = {
        let group = DispatchGroup()
        atexit { _ = PendingTeardowns.group.wait(timeout: .now() + 60) }
        return group
    }()

    /// A teardown starts; ``end()`` when it is done.
    public static func begin() { group.enter() }
    public static func end() { group.leave() }
}
