import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// Waits up to `timeout` for the process to exit without holding a thread; true when it has.
    public func exited(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !isRunning
    }

    /// Ends the process from where nothing can wait (a `defer`): asks it to end with SIGTERM
    /// (unless `terminate` is false: the caller has asked otherwise, e.g. by closing its stdin)
    /// and returns at once. A dispatch timer kills it (SIGKILL) if it still runs after `grace`;
    /// `cleanup` runs once it has exited (e.g. to delete its data folder).
    public func endWithoutWaiting(terminate: Bool = true, grace: Duration,
                                  cleanup: (@Sendable () -> Void)? = nil) {
        let ran = Atomic(false)
        let once: @Sendable () -> Void = { if !ran.exchange(true, ordering: .relaxed) { cleanup?() } }
        if cleanup != nil {
            let previous = terminationHandler
            terminationHandler = { process in
                previous?(process)
                once()
            }
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
            _ = await exited(within: .seconds(10))
        }
        return terminationReason == .exit ? terminationStatus : nil
    }
}
