import Foundation
import MeshProtocol
import MeshStore

/// Session deletions and membership changes, applied to the debug sessions at once (each debug
/// connection also reads its membership again every second).
extension DebugHub {
    /// The Mesh session was deleted: its debug session ends, and every participant is told.
    func sessionDeleted(_ id: UUID) async {
        await sessions[id]?.terminate("the session was deleted")
    }

    /// A member's role changed, or they left or were removed (nil).
    func memberChanged(session id: UUID, user: UUID, role: Role?) async {
        await sessions[id]?.memberChanged(user: user, role: role)
    }
}
