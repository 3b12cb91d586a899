import Foundation

/// The limits every sandbox container runs under; configurable per server.
public struct SandboxLimits: Sendable, Hashable {
    public var memoryBytes: Int = 512 << 20
    public var pids: Int = 128
    public var cpus: Double = 1.0
    public var tmpfsBytes: Int = 512 << 20
    /// A container with no stdin or output activity for this long is killed.
    public var idleSeconds: Double = 600
    /// No container lives longer than this.
    public var totalSeconds: Double = 1800
    /// `mesh run` programs are killed after this long.
    public var runSeconds: Double = 60
    /// Output beyond this many bytes is dropped and the container killed.
    public var outputBytes: Int = 4 << 20
    /// Containers the server runs at once (runs and debug sessions together); a start beyond
    /// it is refused (``SandboxError/busy(running:limit:)``).
    public var maxContainers: Int = 32
    /// Containers one user runs at once (counted for the user who started each); a start beyond
    /// it is refused (``SandboxError/userBusy(running:limit:)``).
    public var maxContainersPerUser: Int = 4
    /// The seccomp filter.
    public var seccomp: SeccompProfile = .mesh
    /// What a session's Go build cache may hold beyond the image's warm cache: `mesh-relay`
    /// deletes the oldest entries after a build above it, and stops a build that grows it past
    /// twice this. 0: no per-session cache volume (every build starts cold in the tmpfs).
    public var cacheBytes: Int = 1 << 30

    public init() {}
}

/// What a container is for, and the Engine API body that creates it with the sandbox policy:
/// no network, every capability dropped, no new privileges, a read-only root with a tmpfs,
/// a non-root user, pids / memory / CPU limits, Mesh's seccomp profile and Mesh's labels.
public struct ContainerSpec: Sendable {
    public static let managedLabel = "dev.mesh.managed"
    /// What a container is for: a ``ContainerKind`` (`run` or `debug`).
    public static let kindLabel = "dev.mesh.kind"
    /// The Mesh session a run or debug container works for (its id).
    public static let sessionLabel = "dev.mesh.session"
    public static let user = "65532:65532"

    public var image: String
    public var command: [String]
    /// A host folder shown read-only at `/workspace`.
    public var workspace: String
    public var workingDirectory = "/workspace"
    public var labels: [String: String] = [:]
    public var environment: [String: String] = [:]
    public var limits = SandboxLimits()
    /// A named volume for Go's build cache (writable on a read-only root), if any: the session's
    /// own (``Sandbox/volumeName(_:imageID:session:)``), never one shared between sessions.
    public var cacheVolume: String?
    /// The host path of the Unix socket the server listens on for the debug relay, if any: that
    /// socket file alone is bind-mounted (read-only: connecting still works, changing the file
    /// does not) at ``relaySocketPath``, where the relay dials it. No host folder is shared, so
    /// the container cannot create anything on the host.
    public var relaySocket: String?
    /// Where the relay's socket is inside the container (`MESH_RELAY_SOCKET`).
    public static let relaySocketPath = "/run/mesh/dap.sock"

    public init(image: String, command: [String], workspace: String) {
        self.image = image
        self.command = command
        self.workspace = workspace
    }

    /// The `POST /containers/create` body.
    public func createBody(instance: String) -> [String: Any] {
        var env = [
            "HOME": "/tmp", "GOPATH": "/tmp/go", "GOCACHE": cacheVolume == nil ? "/tmp/gocache" : "/opt/gocache",
            "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0", "GOPROXY": "off", "GOSUMDB": "off", "GOTMPDIR": "/tmp",
        ]
        if relaySocket != nil { env["MESH_RELAY_SOCKET"] = Self.relaySocketPath }
        if cacheVolume != nil {
            // The relay confines the program (and dlv) so that only its own builds write the
            // volume, and keeps what they add within the limit.
            env["MESH_CONFINE"] = "1"
            env["MESH_CACHE_LIMIT_MB"] = "\(max(1, limits.cacheBytes >> 20))"
        }
        env.merge(environment) { $1 }
        var binds = ["\(workspace):/workspace:ro"]
        if let cacheVolume { binds.append("\(cacheVolume):/opt/gocache") }
        if let relaySocket { binds.append("\(relaySocket):\(Self.relaySocketPath):ro") }
        var allLabels = labels
        allLabels[Self.managedLabel] = instance
        return [
            "Image": image,
            "Cmd": command,
            "User": Self.user,
            "WorkingDir": workingDirectory,
            "Env": env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            "AttachStdin": true, "AttachStdout": true, "AttachStderr": true,
            "OpenStdin": true, "StdinOnce": true, "Tty": false,
            "NetworkDisabled": true,
            "Labels": allLabels,
            "HostConfig": [
                "NetworkMode": "none",
                "CapDrop": ["ALL"],
                "SecurityOpt": ["no-new-privileges"] + [limits.seccomp.securityOpt].compactMap { $0 },
                "ReadonlyRootfs": true,
                "Tmpfs": ["/tmp": "rw,exec,nosuid,nodev,size=\(limits.tmpfsBytes)"],
                "Binds": binds,
                "PidsLimit": limits.pids,
                "Memory": limits.memoryBytes,
                "MemorySwap": limits.memoryBytes,
                "NanoCpus": Int(limits.cpus * 1e9),
                // No AutoRemove: the exit code must outlive a fast exit (the server removes the
                // container once it has read it, and orphans at its next start).
                "AutoRemove": false,
                "LogConfig": ["Type": "none", "Config": [String: String]()],
            ] as [String: Any],
        ]
    }
}
