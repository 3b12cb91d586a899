import Foundation
import MeshClient
import MeshProtocol

/// The dispatcher's other inputs: each root's session life (finding it, connecting,
/// disconnecting) and its background jobs' events (the Mesh server's messages among them), each
/// routed to the root it belongs to (``SharedRoot/handle(_:)``).
extension LanguageServer {
    /// `initialized` (or a folder added since): looks for root `id`'s session (initialization
    /// options, else `.mesh/session.json` at or above its folder) and connects in the background.
    /// With none, stays quiet. A folder inside a shared folder that another root serves already
    /// is left to that root.
    func startSession(_ id: SharedRoot.ID) {
        guard let found = roots.root(id)?.discover() else { return }
        if let shared = found.root, roots.other(than: id, sharing: shared) != nil {
            editor.log("Mesh: \(roots.root(id)?.folder?.path ?? "a folder") lies in \(shared.path), which is served already")
            removeRoot(id)
            return
        }
        roots.update(id) { $0.start(found) }
    }

    /// Connects root `id` to its session (awaiting the network, while other messages are
    /// handled), else retries with back-off. A root removed meanwhile gets no connection.
    func connect(_ id: SharedRoot.ID, server: String, session sessionID: String) async {
        let access = roots.update(id) { root -> SessionAccess in
            root.session.connecting(server: server, session: sessionID)
            return root.session.access
        }
        guard let access else { return }
        do {
            let link = try await access.open(server: server, session: sessionID)
            if roots.update(id, { $0.session.connected(link) }) == nil { await link.close() }
        } catch {
            roots.update(id) { $0.session.reconnect(after: "\(error)") }
        }
    }

    /// Serving ends (or `shutdown`): every root stops watching its folder and closes its
    /// connection, which ends its tasks.
    func disconnect() async {
        for id in roots.ids {
            let detached = roots.update(id) { root -> SessionLink? in
                root.bridging { $0.stopWatchingDisk() }
                return root.session.detach()
            }
            if let found = detached, let link = found { await link.close() }
        }
    }

    /// An event of one of root `id`'s jobs (dropped when the root was removed meanwhile).
    func deliver(_ event: BackgroundWork.Event, to id: SharedRoot.ID) async {
        if case let .connect(server, session) = event {
            // A reconnect of a session the folder gave up meanwhile (to share or join anew): dropped.
            guard roots.root(id)?.session.hasGivenUp(session) == false else { return }
            await connect(id, server: server, session: session)
            return
        }
        roots.update(id) { $0.handle(event) }
    }
}
