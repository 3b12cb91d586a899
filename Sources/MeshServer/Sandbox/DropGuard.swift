import NIOConcurrencyHelpers

/// Runs `cleanup` when it is released without ``disarm()`` having been called. A run's response
/// body holds one: when the client went away before the response head could be written,
/// Hummingbird never calls the body, and the guard stops the container and removes its folder.
final class DropGuard: Sendable {
    private let armed = NIOLockedValueBox(true)
    private let cleanup: @Sendable () -> Void

    init(_ cleanup: @escaping @Sendable () -> Void) {
        self.cleanup = cleanup
    }

    func disarm() {
        armed.withLockedValue { $0 = false }
    }

    deinit {
        if armed.withLockedValue({ $0 }) { cleanup() }
    }
}
