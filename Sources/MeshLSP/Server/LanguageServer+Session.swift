import Foundation
import MeshClient
import MeshProtocol

/// The dispatcher's other inputs: the session's life (finding it, connecting, disconnecting),
/// the Mesh server's messages and the background jobs' events, each routed to the parts it
/// concerns.
extension LanguageServer {
    /// `initialized`: looks for a session (initialization options, else `.mesh/session.json`
    /// above the editor's root) and connects in the background. With none, stays quiet.
    func startSession() {
        let found = session.discover(editorRoot: settings.editorRoot)
        if let root = found.root { bridging { $0.moveWorkspace(to: root) } }
        guard let target = found.session else {
            editor.log("Mesh: no session in this workspace; run the mesh.share or mesh.join command to start one")
            return
        }
        background.start { inbox in await inbox.send(.connect(server: target.server, session: target.id)) }
    }

    /// Connects to the session (awaiting the network, while other messages are handled), else
    /// retries with back-off.
    func connect(server: String, session id: String) async {
        session.connecting(server: server, session: id)
        let access = session.access
        do {
            let link = try await access.open(server: server, session: id)
            session.connected(link)
        } catch {
            session.reconnect(after: "\(error)")
        }
    }

    /// Serving ends (or `shutdown`): stops watching the folder and closes the connection, which
    /// ends its tasks.
    func disconnect() async {
        bridging { $0.stopWatchingDisk() }
        if let link = session.detach() { await link.close() }
    }

    /// An event of a background job.
    func deliver(_ event: BackgroundWork.Event) async {
        switch event {
        case let .received(message): receive(message)
        case let .connectionEnded(link, reason): session.connectionEnded(link, reason: reason)
        case let .connect(server, id): await connect(server: server, session: id)
        case .renderPresence: presence.render(bridge)
        case .sendCursor: presence.sendCursor(bridge, session: session.port)
        case .flushDiskWrites: bridging { $0.flushDiskWrites() }
        case let .writeToDisk(paths): bridging { bridge in for path in paths { bridge.scheduleDiskWrite(path) } }
        case let .takeFromDisk(path):
            let port = session.port
            bridging { $0.takeDiskChange(path, session: port) }
        case let .diskChanged(paths, moves):
            let port = session.port
            bridging { $0.diskChanged(paths, moves: moves, session: port) }
        case let .diskRenamed(from, to, done):
            let port = session.port
            bridging { $0.diskRenamed(from: from, to: to, done: done, session: port) }
        }
    }

    /// A message from the Mesh server, routed to the parts in order: the session link first
    /// (who we are), then the document bridge (the text), then presence (positions in that text).
    func receive(_ message: ServerMessage) {
        if case let .welcome(welcome) = message {
            session.welcomed(welcome)
            presence.welcomed(welcome)
            let port = session.port
            bridging { $0.welcomed(welcome.documents, session: port) }
            return
        }
        let port = session.port
        switch message {
        case .welcome: break
        case let .snapshot(snapshot):
            bridging { $0.received(snapshot, session: port) }
            presence.arrived(snapshot.presence, snapshot.annotations, in: snapshot.path, documents: bridge, session: port)
        case let .catchUp(catchUp):
            bridging { $0.received(catchUp, session: port) }
            if bridge.follows(catchUp.path) {
                presence.arrived(catchUp.presence, catchUp.annotations, in: catchUp.path, documents: bridge, session: port)
            }
        case let .ack(ack): bridging { $0.acknowledged(ack, session: port) }
        case let .remoteOp(op): bridging { $0.received(op, session: port) }
        case let .presence(update): presence.received(update, in: bridge, session: port)
        case let .chat(chat): presence.received(chat, session: port)
        case let .annotation(annotation): presence.received(annotation, in: bridge)
        case let .hash(check): bridging { $0.compareHash(check, session: port) }
        case let .role(change): session.roleChanged(change)
        case let .error(error): bridging { $0.serverError(error, session: port) }
        case .pong: break
        case let .document(event): bridging { $0.documentEvent(event, session: port) }
        case let .authenticated(renewed): session.authenticated(renewed)
        case .participant: break   // for the browser's "who is here"; mesh lsp goes by presence
        }
    }
}
