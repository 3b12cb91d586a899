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

    /// A fresh access token for `server`: the initialization options' token when it is for that
    /// server, else the stored login made for it (refreshed when it has expired).
    func accessToken(server: String) async throws -> String {
        let (credentials, store) = try login(for: server)
        if store == nil, let token = credentials?.accessToken { return token }   // the options' token
        guard let credentials, credentials.isLoggedIn, let store else {
            if options.token != nil {
                throw WorkspaceError("the initialization options' token is for \(tokenServer), not \(CredentialStore.normalize(server)): "
                                     + "name the session's server in their \"server\" (or log in to it with `mesh login --server \(server)`)")
            }
            throw WorkspaceError("not logged in to \(server): run `mesh login --server \(server)`")
        }
        // Checked by the server (a revoked login fails here), and valid for a while yet.
        return try await MeshAPIClient(server: server, credentials: credentials, store: store).freshAccessToken()
    }

    /// A client of the session's server (`serverURL`; before a connection, the initialization
    /// options' server, else the configured one), carrying the login made for it, if any.
    func apiClient(serverURL: String?) throws -> MeshAPIClient {
        let server = serverURL ?? options.server ?? configuredServer
        let (credentials, store) = try login(for: server)
        return MeshAPIClient(server: CredentialStore.normalize(server), credentials: credentials, store: store)
    }

    /// A client of `server` (an invite link's), carrying the login made for it, if any.
    func apiClient(invitedTo server: String, serverURL: String?) throws -> MeshAPIClient {
        try apiClient(serverURL: server)
    }

    /// The login this bridge holds for `server`, and the store that renews it (nil for the
    /// initialization options' token, which is not renewed): that token when it is for `server`,
    /// else the stored login when it was made for `server`. Nothing otherwise, so that a server
    /// named by a session file or an invite link never receives another server's tokens.
    func login(for server: String) throws -> (credentials: Credentials?, store: CredentialStore?) {
        let server = CredentialStore.normalize(server)
        if let token = options.token, tokenServer == server {
            return (Credentials(server: server, accessToken: token), nil)
        }
        let store = CredentialStore(environment: environment)
        let stored = try store.load().flatMap { CredentialStore.normalize($0.server) == server ? $0 : nil }
        return (stored, store)
    }

    /// The server the initialization options' token is for: theirs, else the configured one.
    var tokenServer: String { CredentialStore.normalize(options.server ?? configuredServer) }

    /// `$MESH_SERVER`, else the server of the stored login, else the default.
    var configuredServer: String {
        CredentialStore(environment: environment).server(flag: nil, environment: environment)
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

    /// Queues a message for the server; says when it was not (not connected, or larger than
    /// the server takes).
    @discardableResult
    func send(_ message: ClientMessage) -> SessionLink.Sending {
        link?.send(message) ?? .notConnected
    }

    func apiClient() throws -> MeshAPIClient {
        try access.apiClient(serverURL: serverURL)
    }

    func apiClient(invitedTo server: String) throws -> MeshAPIClient {
        try access.apiClient(invitedTo: server, serverURL: serverURL)
    }
}
