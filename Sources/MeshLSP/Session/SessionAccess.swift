import Foundation
import Logging
import MeshClient
import MeshProtocol

/// How the session link logs in: access tokens and REST clients for a server, from the
/// initialization options' token or the stored login. A value, so that work on the network (a
/// connection, a command, a deletion) takes it along instead of reaching back into the server.
struct SessionAccess: Sendable {
    let environment: [String: String]
    let options: InitializationOptions
    /// How the bridge introduces itself in `hello` (`mesh-lsp (<editor>)`).
    let client: String
    let logger: Logger

    /// Opens a connection to `session` on `server` (sends `hello`).
    func open(server: String, session: String) async throws -> SessionLink {
        let token = try await accessToken(server: server)
        let collaboration = try await CollaborationClient.connect(server: server, accessToken: token, session: session,
                                                                  client: client, logger: logger)
        return SessionLink(collaboration)
    }

    /// A fresh access token: the initialization options' token, else the stored login
    /// (refreshed when it has expired).
    func accessToken(server: String) async throws -> String {
        if let token = options.token { return token }
        let store = CredentialStore(environment: environment)
        guard let credentials = try store.load(), credentials.isLoggedIn,
              CredentialStore.normalize(credentials.server) == CredentialStore.normalize(server)
        else {
            throw WorkspaceError("not logged in to \(server): run `mesh login --server \(server)`")
        }
        // Checked by the server (a revoked login fails here), and valid for a while yet.
        return try await MeshAPIClient(server: server, credentials: credentials, store: store).freshAccessToken()
    }

    /// A client of the session's server (`serverURL`; before a connection, the configured one).
    func apiClient(serverURL: String?) throws -> MeshAPIClient {
        let store = CredentialStore(environment: environment)
        let server = serverURL ?? store.server(flag: options.server, environment: environment)
        var credentials = try store.load()
        if let token = options.token { credentials = Credentials(server: server, accessToken: token) }
        return MeshAPIClient(server: server, credentials: credentials, store: options.token == nil ? store : nil)
    }

    /// A client of `server` (an invite link's): it carries only a login made for that very server
    /// (the stored one, or the initialization options' token when they name the same server), so
    /// that a link to another server never receives this one's tokens.
    func apiClient(invitedTo server: String, serverURL: String?) throws -> MeshAPIClient {
        let server = CredentialStore.normalize(server)
        let store = CredentialStore(environment: environment)
        if let token = options.token {
            let configured = options.server.map(CredentialStore.normalize) ?? serverURL
            return MeshAPIClient(server: server, credentials: configured == server ? Credentials(server: server, accessToken: token) : nil)
        }
        let credentials = try store.load().flatMap { CredentialStore.normalize($0.server) == server ? $0 : nil }
        return MeshAPIClient(server: server, credentials: credentials, store: store)
    }
}

/// What the other parts see of the session link while they handle one message: the connection
/// to send on, who we are in the session, and REST clients for its server. Taken afresh from
/// ``SessionConnection/port`` for each message, never kept.
struct SessionPort: Sendable {
    let link: SessionLink?
    let me: ServerMessage.Participant?
    let sessionID: String?
    let serverURL: String?
    let access: SessionAccess

    /// Connected and welcomed.
    var isJoined: Bool { link != nil && me != nil }

    var canEdit: Bool { me?.role.canEdit ?? false }

    /// Queues a message for the server (dropped while not connected).
    func send(_ message: ClientMessage) {
        link?.send(message)
    }

    func apiClient() throws -> MeshAPIClient {
        try access.apiClient(serverURL: serverURL)
    }

    func apiClient(invitedTo server: String) throws -> MeshAPIClient {
        try access.apiClient(invitedTo: server, serverURL: serverURL)
    }
}
