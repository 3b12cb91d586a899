import Dispatch

/// Runs blocking work (socket reads, waiting for a process) on a dispatch thread, never on
/// Swift concurrency's small cooperative pool.
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}
