import Foundation
import MeshOT
import MeshProtocol

/// What the document bridge sends the server about documents: `open` (and its retries after a
/// refusal for a passing reason) and `op`; and what it does with one the session link does not
/// send for being larger than the server takes (``SessionLink/send(_:)``).
extension DocumentBridge {
    mutating func sendOpen(_ path: String, knownRev: Int? = nil, create: String? = nil, session: SessionPort) {
        let request = ClientMessage.Open(path: path, knownRev: knownRev, knownId: knownRev == nil ? nil : documents[path]?.id, create: create)
        switch session.send(.open(request)) {
        case .queued: break
        case .notConnected: return
        case let .tooLarge(limit):
            // A file to create (an open of a known path is small): not shared until it fits.
            if tooLargeToShare.insert(path).inserted {
                editor.show("Mesh: \(path) is larger than the server takes in one message (\(limit) bytes): it is not shared", type: 2)
            }
            return
        }
        opening.insert(path)
        openRequests[path] = request
        opensInFlight[path, default: 0] += 1
    }

    /// An open the server refused for a passing reason (``refusedOpens``).
    struct RefusedOpen {
        var request: ClientMessage.Open
        /// Refusals in a row.
        var refusals: Int
        /// The connection it was refused on: a reconnect opens everything again itself.
        var link: ObjectIdentifier
    }

    /// Refusals in a row of one open after which the user is told (the retries go on).
    static let refusalsBeforeTelling = 5

    /// How long after its `refusals`-th refusal in a row an open is sent again: 250 ms,
    /// doubling, at most 5 s.
    static func openRetryDelay(after refusals: Int) -> Duration {
        min(.milliseconds(250) * (1 << min(max(refusals - 1, 0), 5)), .seconds(5))
    }

    /// A refused open's delay is over: the same `open` again (from the revision we hold now; a
    /// file from disk to create, as the disk has it now), unless another open was sent
    /// meanwhile, the connection is another (a reconnect reopens everything itself), or the
    /// document is no longer wanted (deleted, or the file to create closed in the editor or
    /// gone from disk).
    mutating func retryOpen(_ path: String, session: SessionPort) {
        guard let refused = refusedOpens[path], let link = session.link, ObjectIdentifier(link) == refused.link,
              opensInFlight[path] == nil
        else { return }
        let inEditor = editorFiles.values.contains { $0.path == path && $0.draft != nil }
        if refused.request.create != nil, !inEditor {
            guard let root = workspaceRoot, documents[path] == nil, !sessionDocuments.contains(path),
                  let data = try? Data(contentsOf: root.appendingPathComponent(path))
            else {
                refusedOpens[path] = nil
                unansweredCreates[path] = nil
                return
            }
            diskCreated(path, data, session: session)   // (refused again, the refusals go on counting)
            if opensInFlight[path] == nil {
                // Not sent (binary now, too large, no longer ours to create): a later write offers it.
                refusedOpens[path] = nil
                unansweredCreates[path] = nil
            }
            return
        }
        let wanted = refused.request.create != nil ? inEditor : sessionDocuments.contains(path) || documents[path] != nil
        guard wanted else {
            refusedOpens[path] = nil
            unansweredCreates[path] = nil
            return
        }
        let knownRev = refused.request.knownRev == nil ? nil : documents[path]?.client.revision
        sendOpen(path, knownRev: knownRev, create: refused.request.create, session: session)
    }

    /// An open of `path` was answered (a snapshot, a catch-up, or an error that says so).
    mutating func openAnswered(_ path: String) {
        let left = (opensInFlight[path] ?? 1) - 1
        opensInFlight[path] = left > 0 ? left : nil
        if left <= 0 {
            opening.remove(path)
            openRequests[path] = nil
        }
    }

    /// A snapshot or catch-up answered the open of `path`.
    mutating func opened(_ path: String) {
        openAnswered(path)
        opening.remove(path)   // the document is followed now, whatever else is in flight
        refusedOpens[path] = nil
    }

    mutating func sendOp(_ path: String, _ outgoing: OutgoingOperation, session: SessionPort) {
        let message = ClientMessage.op(.init(path: path, baseRev: outgoing.baseRevision, ops: outgoing.operation, opId: outgoing.opId))
        guard case let .tooLarge(limit) = session.send(message) else { return }
        // Not sent. As with an edit the server refuses, the document goes back to the session's
        // text and the text that held the edit is kept in .mesh/conflicts.
        editor.show("Mesh: your change to \(path) is larger than the server takes in one message (\(limit) bytes): "
                    + "it goes back to the session's text", type: 2)
        if !opening.contains(path) { sendOpen(path, session: session) }
    }
}
