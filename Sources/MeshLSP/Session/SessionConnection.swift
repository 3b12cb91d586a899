import Foundation
import Logging
import MeshClient
import MeshProtocol

/// The session link, one part of ``LanguageServer``: which session on which server, the
/// connection to it (``SessionLink``) and who we are in it; reconnecting with back-off when the
/// connection drops, and keeping its access token fresh so that the server does not close it.
///
/// Its state is its own; the other parts see it through ``port``. Its tasks, in the server's task
/// group: each connection's job (``SessionLink/run(receive:)``: the sender, the receive loop
/// and the token renewal, all ending with the connection, which ``detach()`` closes) and the
/// reconnect delays. Connecting itself awaits the network on the server's actor
/// (``LanguageServer/connect(_:server:session:)``), between ``connecting(server:session:)`` and
/// ``connected(_:)``.
struct SessionConnection {
    /// How to log in; taken along by work on the network.
    let access: SessionAccess
    private let editor: EditorChannel
    private let background: BackgroundWork
    private(set) var link: SessionLink?
    private(set) var sessionID: String?
    private(set) var serverURL: String?
    /// Who we are in the session, from `welcome` (nil until then).
    private(set) var me: ServerMessage.Participant?
    private var reconnectAttempt = 0
    /// Whether a connection to the session was ever welcomed: the bridge then holds its documents.
    private(set) var wasJoined = false
    /// The largest message the server takes, from its last `welcome`: a new connection starts
    /// with it, until its own `welcome` says.
    private var messageLimit = ServerMessage.Welcome.defaultMaxFrameBytes
    /// Sessions given up (``abandon()``): their pending reconnects are dropped.
    private var givenUp: Set<String> = []

    /// Whether `session` was given up for another (its reconnects are dropped).
    func hasGivenUp(_ session: String) -> Bool { givenUp.contains(session) }
    /// Serving has ended (``detach()``): no more reconnecting.
    private var stopped = false

    init(settings: EditorSettings, environment: [String: String], logger: Logger, editor: EditorChannel,
         background: BackgroundWork) {
        access = SessionAccess(environment: environment, options: settings.options,
                               client: "mesh-lsp (\(settings.client.name))", logger: logger)
        self.editor = editor
        self.background = background
    }

    /// The session as the other parts see it now.
    var port: SessionPort {
        SessionPort(link: link, me: me, sessionID: sessionID, serverURL: serverURL, access: access)
    }

    /// The session to join at `initialized`: the initialization options', else the one in
    /// `.mesh/session.json` above the editor's root, whose folder becomes the shared one (`root`,
    /// nil when there is no such file).
    func discover(editorRoot: URL?) -> (root: URL?, session: (server: String, id: String)?) {
        let discovered = editorRoot.flatMap { SessionFile.discover(from: $0) }
        guard let session = access.options.session ?? discovered?.file.session else {
            return (root: discovered?.root, session: nil)
        }
        let environment = access.environment
        let server = access.options.server ?? discovered?.file.server
            ?? CredentialStore(environment: environment).server(flag: nil, environment: environment)
        return (root: discovered?.root, session: (server: server, id: session))
    }

    /// A connection attempt to `session` on `server` begins.
    mutating func connecting(server: String, session: String) {
        givenUp.remove(session)   // joined again: its reconnects count
        serverURL = CredentialStore.normalize(server)
        sessionID = session
    }

    /// The connection is open: it is the session's from now on, and its job runs in the server's
    /// task group, reporting each message from the server and, at last, the connection's end.
    mutating func connected(_ link: SessionLink) {
        self.link = link
        link.limitMessages(to: messageLimit)
        background.start { inbox in
            let reason = await link.run { message in await inbox.send(.received(message)) }
            await inbox.send(.connectionEnded(link, reason: reason))
        }
    }

    /// A connection ended: when it was the session's, connect again.
    mutating func connectionEnded(_ ended: SessionLink, reason: String?) {
        guard link === ended else { return }
        link = nil
        reconnect(after: reason ?? "the server closed the connection")
    }

    /// Connects again after a delay that doubles with each failed attempt (1 s … 30 s), telling
    /// the user on the first attempt and every tenth.
    mutating func reconnect(after reason: String) {
        guard !stopped, let serverURL, let sessionID else { return }
        reconnectAttempt += 1
        let delay = min(30.0, 0.5 * pow(2, Double(min(reconnectAttempt, 6))))
        if reconnectAttempt == 1 || reconnectAttempt % 10 == 0 {
            editor.show("Mesh: not connected to the session (\(reason)); retrying", type: 2)
        }
        editor.log("Mesh: reconnecting in \(delay) s: \(reason)")
        background.deliver(.connect(server: serverURL, session: sessionID), after: .seconds(delay), unlessEnding: true)
    }

    /// `welcome`: who we are; the token is kept fresh from now on.
    mutating func welcomed(_ welcome: ServerMessage.Welcome) {
        let reconnected = reconnectAttempt > 0
        reconnectAttempt = 0
        wasJoined = true
        me = welcome.user
        messageLimit = welcome.messageLimit
        link?.limitMessages(to: messageLimit)
        if let expiry = welcome.tokenExpiresAt, let link { keepAuthenticated(link, until: expiry) }
        if reconnected { editor.show("Mesh: reconnected") }
    }

    /// Renews `link`'s token shortly before `expiresAt` (seconds since 1970), and again before
    /// each new token expires, for as long as the connection lasts: the server closes a socket
    /// whose token expired unless a fresh one arrives over it (`auth`), so a pairing session of a
    /// working day never drops at the token's fifteen minutes.
    private func keepAuthenticated(_ link: SessionLink, until expiresAt: Double) {
        // A token the editor configured cannot be renewed: that socket reconnects at expiry. A
        // stored login can (also beside a configured token meant for another server).
        guard let server = serverURL, (try? access.login(for: server))?.store != nil else { return }
        let environment = access.environment, editor = self.editor
        link.whileOpen {
            await AccessTokenRenewal.run(expiresAt: expiresAt, server: server, environment: environment) { token in
                link.send(.auth(.init(token: token)))
            } failed: { error in
                editor.log("Mesh: could not renew the access token (\(error)); retrying")
            }
        }
    }

    /// `authenticated`: a renewed token was accepted.
    func authenticated(_ renewed: ServerMessage.Authenticated) {
        editor.log("Mesh: the session socket is authenticated until \(Date(timeIntervalSince1970: renewed.expiresAt))")
    }

    /// `role`: our role changed, or we were removed.
    mutating func roleChanged(_ change: ServerMessage.RoleChange) {
        if let role = change.role {
            me?.role = role
            editor.show("Mesh: your role in this session is now \(role.rawValue)")
        } else {
            editor.show("Mesh: you were removed from the session", type: 2)
        }
    }

    /// Gives up a session the folder never joined (its server refused every attempt, say, or is
    /// gone), before it shares or joins another: its pending reconnect is dropped.
    mutating func abandon() {
        guard !wasJoined, link == nil else { return }
        if let sessionID { givenUp.insert(sessionID) }
        sessionID = nil
        serverURL = nil
        reconnectAttempt = 0
    }

    /// Serving ends: the session's connection, for the caller to close; no reconnecting after this.
    mutating func detach() -> SessionLink? {
        stopped = true
        let link = self.link
        self.link = nil
        return link
    }
}
