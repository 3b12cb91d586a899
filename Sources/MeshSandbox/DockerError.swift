/// A Docker Engine API failure, with a message a user can act on.
public enum DockerError: Error, Sendable, CustomStringConvertible, Equatable {
    /// dockerd cannot be reached on its socket.
    case unavailable(socket: String, reason: String)
    /// The API answered with an error status.
    case api(status: Int, message: String)
    /// The named image is not there (build it with `mesh runtime build`).
    case missingImage(String)
    /// The attach stream could not be set up.
    case attach(String)

    public var description: String {
        switch self {
        case let .unavailable(socket, reason):
            "dockerd is not reachable at \(socket) (\(reason)); start it with `dockerd --bridge=none --iptables=false` (scripts/docker-daemon.sh does)"
        case let .api(status, message): "Docker Engine API error \(status): \(message)"
        case let .missingImage(image): "the runtime image \(image) is missing; build it with `mesh runtime build`"
        case let .attach(reason): "attaching to the container failed: \(reason)"
        }
    }
}
