import Foundation
import MeshClient
import MeshProtocol

/// The commands that wait on the network, their REST parts: they take a ``SessionPort`` along and
/// touch no part's state, so that they can run in the background; what they change afterwards
/// (the shared folder, the connection) the server does on its actor.
extension Commands {
    /// `mesh.invite`: a new invite link to the session (shown, and answered).
    static func invite(_ role: Role, session: SessionPort, editor: EditorChannel) async throws -> JSONValue {
        guard let id = session.sessionID.flatMap(UUID.init(uuidString:)) else { throw ResponseError.requestFailed("no session") }
        let api = try session.apiClient()
        let invite = try await api.createInvite(session: id, role: role)
        let url = InviteLink(server: api.server, code: invite.code).url
        editor.show("Mesh: invite (\(role.rawValue)): mesh join \(url)  (code \(invite.code))")
        return ["code": .string(invite.code), "role": .string(role.rawValue), "url": .string(url)]
    }

    /// `mesh.share`'s REST part: shares the folder `root` as a new session.
    static func share(_ root: URL, session: SessionPort) async throws -> WorkspaceSharing.Shared {
        try await WorkspaceSharing.share(root, api: try session.apiClient())
    }

    /// `mesh.join`'s REST part: joins a session into `root` (refusing to overwrite differing
    /// files), with an invite link (on the server it names, with the stored login for that
    /// server) or a bare code (on the configured server). Returns the client it used.
    static func join(_ invite: String, into root: URL, session: SessionPort) async throws -> (api: MeshAPIClient, joined: WorkspaceSharing.Joined) {
        let api: MeshAPIClient
        let code: String
        if InviteLink.looksLikeLink(invite) {
            let inviteLink: InviteLink
            do { inviteLink = try InviteLink(parsing: invite) } catch { throw ResponseError.invalidParams("\(error)") }
            api = try session.apiClient(invitedTo: inviteLink.server)
            guard await api.credentials?.isLoggedIn == true else {
                let server = inviteLink.server
                throw ResponseError.requestFailed(
                    "not logged in to \(server), the server of this invite: run `mesh join \(inviteLink.url)` in a terminal "
                        + "(it offers to log in or sign up), or `mesh login --server \(server)` / `mesh signup --server \(server)`")
            }
            code = inviteLink.code
        } else {
            api = try session.apiClient()
            code = invite
        }
        let joined = try await WorkspaceSharing.join(invite: code, into: root, api: api)
        return (api: api, joined: joined)
    }
}
