import Prometheus

/// The server's Prometheus metrics, on a registry owned by the application (never a global
/// bootstrap, so every test app has its own).
public struct ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let connections: Gauge
    let liveSessions: Gauge
    let liveDocuments: Gauge
    let opsCommitted: Counter
    let opsRefused: Counter
    let commitBatches: Counter
    /// Commits that lost to another node's (several nodes on PostgreSQL).
    let commitConflicts: Counter
    /// Ops other nodes committed, relayed to this node's clients.
    let opsRelayedFromNodes: Counter
    /// Ops handed to the node committing their document, and ops other nodes handed here.
    let opsForwarded: Counter
    let opsForwardedIn: Counter
    /// From an op's arrival to its durable commit (the moment it is acknowledged).
    let commitLatency: DurationHistogram
    let databaseLatency: DurationHistogram
    let slowClientDisconnects: Counter
    /// Bytes queued for sending on every WebSocket (set when `/metrics` is read).
    let sendQueueBytes: Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        connections = registry.makeGauge(name: "mesh_ws_connections", help: "Open collaboration WebSockets")
        liveSessions = registry.makeGauge(name: "mesh_live_sessions", help: "Sessions with at least one connection")
        liveDocuments = registry.makeGauge(name: "mesh_live_documents", help: "Documents loaded in memory")
        opsCommitted = registry.makeCounter(name: "mesh_ops_committed_total", help: "Operations durably committed")
        opsRefused = registry.makeCounter(name: "mesh_ops_refused_total", help: "Operations refused (role, limits, stale base)")
        commitBatches = registry.makeCounter(name: "mesh_commit_batches_total", help: "Database transactions committing ops")
        commitConflicts = registry.makeCounter(name: "mesh_commit_conflicts_total", help: "Op commits another node won first")
        opsRelayedFromNodes = registry.makeCounter(name: "mesh_ops_from_nodes_total", help: "Ops committed by other nodes and relayed here")
        opsForwarded = registry.makeCounter(name: "mesh_ops_forwarded_total", help: "Ops handed to the node writing their document")
        opsForwardedIn = registry.makeCounter(
            name: "mesh_ops_forwarded_in_total", help: "Ops other nodes handed to this node to commit")
        commitLatency = registry.makeDurationHistogram(
            name: "mesh_op_commit_seconds", buckets: latencyBuckets, help: "Op arrival to durable commit")
        databaseLatency = registry.makeDurationHistogram(
            name: "mesh_db_query_seconds", buckets: latencyBuckets, help: "Database round trips of op commits and health checks")
        slowClientDisconnects = registry.makeCounter(
            name: "mesh_slow_client_disconnects_total", help: "Connections closed because their send queue overflowed")
        sendQueueBytes = registry.makeGauge(
            name: "mesh_send_queue_bytes", help: "Bytes queued for sending on every WebSocket together (limit: the server-wide send budget)")
    }
}
