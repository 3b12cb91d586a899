/// Polls `condition` every 20 ms until it holds or `timeout` passes, then checks it once more;
/// returns whether it held. Only the condition's errors are thrown (the sleeps between checks
/// are not cancellable here).
public func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Polls `condition` every 20 ms until it holds; throws ``TimedOut`` naming `what` once
/// `timeout` has passed (and `CancellationError` if the test is cancelled meanwhile).
public func eventually(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut(what)
}

/// What `eventually(_:timeout:_:)` throws when its condition never held.
public struct TimedOut: Error, CustomStringConvertible {
    public let description: String
    public init(_ what: String) { description = "timed out waiting until \(what)" }
}
