import Foundation
import MeshProtocol

extension ClientConnection {
    /// A WebSocket's connection under the server's `limits`: its queue bounded in messages and
    /// bytes, alone and with the server's other sockets (`hub.sendBudget`); an overflow counts as
    /// a slow client's disconnect.
    convenience init(user: AuthUser, session: UUID, role: Role, limits: ServerConfiguration.Limits, hub: CollaborationHub) {
        let metrics = hub.metrics
        self.init(user: user, session: session, role: role,
                  queueLimit: limits.sendQueueLimit, byteLimit: limits.sendQueueBytes,
                  budget: hub.sendBudget, burst: limits.messageBurst,
                  onOverflow: { metrics.slowClientDisconnects.increment() })
    }
}
