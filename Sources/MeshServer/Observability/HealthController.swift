import Foundation
import Hummingbird
import MeshStore

/// `/health` (checks the database), `/metrics` (Prometheus text) and `/openapi.yaml`.
struct HealthController {
    let store: Store
    let metrics: ServerMetrics
    /// The send budget `mesh_send_queue_bytes` reports.
    var sendBudget: SendBudget? = nil
    /// With other nodes: unhealthy while this node does not hear them (cut from the database).
    var cluster: ClusterLink? = nil

    func addRoutes(to router: Router<MeshRequestContext>) {
        router.get("health", use: health)
        router.get("metrics", use: prometheus)
        router.get("openapi.yaml", use: openAPI)
    }

    struct Health: ResponseCodable {
        var status: String
        var database: String
        var error: String?
        /// This node's id and the other nodes it hears (several nodes on PostgreSQL only).
        var node: String?
        var nodes: [String]?
    }

    @Sendable func health(_ request: Request, context: MeshRequestContext) async throws -> EditedResponse<Health> {
        let started = ContinuousClock.now
        do {
            try await store.ping()
            metrics.databaseLatency.record(ContinuousClock.now - started)
            if let cluster {
                let others = cluster.liveNodes.map(\.uuidString).sorted()
                guard cluster.isHealthy else {
                    return .init(status: .serviceUnavailable, response: Health(
                        status: "unavailable", database: store.backendName,
                        error: "this node does not hear the other nodes (database notifications)",
                        node: cluster.nodeID.uuidString, nodes: others))
                }
                return .init(status: .ok, response: Health(status: "ok", database: store.backendName,
                                                            node: cluster.nodeID.uuidString, nodes: others))
            }
            return .init(status: .ok, response: Health(status: "ok", database: store.backendName))
        } catch {
            return .init(status: .serviceUnavailable,
                         response: Health(status: "unavailable", database: store.backendName, error: "\(error)"))
        }
    }

    @Sendable func prometheus(_ request: Request, context: MeshRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        if let sendBudget { metrics.sendQueueBytes.set(Double(sendBudget.inUse)) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }

    @Sendable func openAPI(_ request: Request, context: MeshRequestContext) async throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let data = try? Data(contentsOf: url)
        else { throw ApiError.notFound("openapi.yaml is not bundled") }
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
