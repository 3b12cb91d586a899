import Foundation
import MeshClient
import MeshProtocol

/// A root's inputs besides the editor's document messages: its background jobs' events and its
/// Mesh server's messages, each routed to the part it concerns.
extension SharedRoot {
    /// An event of one of this root's jobs. `connect` is not among them: connecting awaits the
    /// network, which the server does (``LanguageServer/connect(_:server:session:)``).
    mutating func handle(_ event: BackgroundWork.Event) {
        switch event {
        case let .received(message): receive(message)
        case let .connectionEnded(link, reason): session.connectionEnded(link, reason: reason)
        case .connect: break
        case .renderPresence: presence.render(bridge)
        case .sendCursor: presence.sendCursor(bridge, session: session.port)
        case .flushDiskWrites: bridging { $0.flushDiskWrites() }
        case let .retryOpen(path):
            let port = session.port
            bridging { $0.retryOpen(path, session: port) }
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

    /// A message from this root's Mesh server, routed to the parts in order: the session link
    /// first (who we are), then the document bridge (the text), then presence (positions in that
    /// text).
    mutating func receive(_ message: ServerMessage) {
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
