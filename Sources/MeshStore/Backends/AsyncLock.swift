import Synchronization

/// A first-come first-served lock for async code: its holder may suspend while holding it, and
/// waiters suspend instead of blocking a thread.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func lock() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired: Bool = state.withLock { state in
                if state.locked { state.waiters.append(waiter); return false }
                state.locked = true
                return true
            }
            if acquired { waiter.resume() }
        }
    }

    /// Takes the lock if it is free, without waiting.
    func tryLock() -> Bool {
        state.withLock { state in
            if state.locked { return false }
            state.locked = true
            return true
        }
    }

    /// Releases the lock, handing it straight to the oldest waiter if there is one.
    func unlock() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            if state.waiters.isEmpty { state.locked = false; return nil }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    func withLock<R>(_ body: () async throws -> R) async rethrows -> R {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
