/// Why the sandbox refused or stopped a container on its own account (Docker's failures are
/// ``DockerError``s).
public enum SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server runs as many containers as it may (`--sandbox-max-containers`).
    case busy(running: Int, limit: Int)
    /// The user runs as many containers as one user may (`--sandbox-max-containers-per-user`).
    case userBusy(running: Int, limit: Int)
    /// The container's session was deleted, or its user lost access, while it started.
    case revoked

    public var description: String {
        switch self {
        case let .busy(running, limit):
            "the sandbox is busy: \(running) \(Self.containers(running)) running (limit \(limit)); try again shortly"
        case let .userBusy(running, limit):
            "you have \(running) sandbox \(Self.containers(running)) running (limit \(limit) per user); "
                + "end a run or a debug session, or try again shortly"
        case .revoked:
            "the session was deleted, or you lost access to it, while its container started"
        }
    }

    private static func containers(_ count: Int) -> String { count == 1 ? "container" : "containers" }
}
