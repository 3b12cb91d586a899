import Foundation

/// A first-come first-served lock for async code: its holder may suspend while holding it, and
/// waiters suspend instead of blocking a thread.
final class AsyncLock: @unchecked Sendable {
    private let mutex = NSLock()
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired: Bool = mutex.withLock {
                if locked { waiters.append(waiter); return false }
                locked = true
                return true
            }
            if acquired { waiter.resume() }
        }
    }

    /// Takes the lock if it is free, without waiting.
    func tryLock() -> Bool {
        mutex.withLock {
            if locked { return false }
            locked = true
            return true
        }
    }

    /// Releases the lock, handing it straight to the oldest waiter if there is one.
    func unlock() {
        let next: CheckedContinuation<Void, Never>? = mutex.withLock {
            if waiters.isEmpty { locked = false; return nil }
            return waiters.removeFirst()
        }
        next?.resume()
    }

    func withLock<R>(_ body: () async throws -> R) async rethrows -> R {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
