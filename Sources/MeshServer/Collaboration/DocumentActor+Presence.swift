import Foundation
import MeshOT
import MeshProtocol
import MeshStore

extension DocumentActor {
    /// A participant's cursors and selections at `rev`, moved to the current revision and
    /// shown to everyone else. Ephemeral: never written to the store.
    func updatePresence(_ update: ClientMessage.PresenceUpdate, from connection: ClientConnection) async {
        guard subscribers[connection.id] != nil else { return }
        // Fetch only for a revision the log is known to hold (a notification said so): a made-up
        // revision in every presence message must not cost every node a database query.
        if cluster != nil, update.rev > document.revision, update.rev <= remoteHead { await catchUp(to: update.rev) }
        var selection = Selection(update.selections)
        if update.rev < document.revision, let later = try? document.operations(since: update.rev) {
            for committed in later { selection = selection.transformed(by: committed.operation) }
        } else if update.rev != document.revision {
            return connection.send(.error(ErrorMessage(.resync, "presence for unknown revision \(update.rev)", path: path)))
        }
        let length = document.text.count
        let clamped = selection.ranges.map {
            SelectionRange(anchor: min(max(0, $0.anchor), length), head: min(max(0, $0.head), length))
        }
        let presence = ServerMessage.Presence(path: path, user: connection.user.id.uuidString, name: connection.user.name,
                                              rev: document.revision, selections: clamped)
        self.presence[connection.id] = presence
        broadcast(.presence(presence), except: connection.id)
        // Other nodes get the client's own revision and ranges: that revision is in the log.
        cluster?.publish(.presence(.init(document: record.id.uuidString, connection: connection.id.uuidString,
                                         user: connection.user.id.uuidString, name: connection.user.name,
                                         rev: update.rev, selections: Array(update.selections.prefix(ClusterEvent.Presence.maxSelections)))))
    }

    /// Compares a client's hash with the server's at the same revision; a mismatch tells the
    /// client to resync (it also reports it to its user).
    func checkHash(_ check: ClientMessage.HashCheck, from connection: ClientConnection) {
        guard check.rev == document.revision else { return }   // a newer op raced the check
        let mine = DocumentHash.of(document.text.description)
        if mine != check.hash {
            logger.warning("document hash mismatch", metadata: ["path": "\(path)", "user": "\(connection.user.id)"])
            connection.send(.error(ErrorMessage(.resync, "document diverged at revision \(check.rev); reopen it", path: path)))
        } else {
            connection.send(.hash(.init(path: path, rev: check.rev, hash: mine)))
        }
    }

    // MARK: Annotations

    func annotate(_ request: ClientMessage.AnnotateCreate, from connection: ClientConnection) async {
        guard subscribers[connection.id] != nil else {
            return connection.send(.error(ErrorMessage(.badRequest, "open the document first", path: path)))
        }
        var parentID: UUID?
        if let parent = request.parent {
            guard let id = UUID(uuidString: parent), annotations[id] != nil else {
                return connection.send(.error(ErrorMessage(.notFound, "no annotation \(parent)", path: path)))
            }
            parentID = id
        }
        // Bounded before any arithmetic: moving an offset near Int.max through an op would trap.
        guard request.from >= 0, request.from <= request.to, request.to <= TextOperation.lengthLimit,
              !request.body.isEmpty, request.body.utf8.count <= 16_384 else {
            return connection.send(.error(ErrorMessage(
                .badRequest, "an annotation needs 0 <= from <= to <= \(TextOperation.lengthLimit) and a body of 1 to 16384 bytes",
                path: path)))
        }
        // Those being stored count too: two at once cannot both take the last place.
        guard annotations.count + annotationsInFlight < limits.maxAnnotationsPerDocument else {
            return connection.send(.error(ErrorMessage(
                .tooLarge, "a document may have at most \(limits.maxAnnotationsPerDocument) annotations, replies included; delete some first",
                path: path)))
        }
        var annotation = AnnotationRecord(documentID: record.id, parentID: parentID, authorID: connection.user.id,
                                          from: request.from, to: request.to, revision: request.rev, body: request.body)
        if request.rev < document.revision, let later = try? document.operations(since: request.rev) {
            for committed in later { annotation = DocumentActor.moved(annotation, by: committed.operation) }
        } else if request.rev != document.revision {
            return connection.send(.error(ErrorMessage(.resync, "annotation for unknown revision \(request.rev)", path: path)))
        }
        annotation.revision = document.revision
        annotation.to = min(annotation.to, document.text.count)
        annotation.from = min(annotation.from, annotation.to)
        annotationsInFlight += 1
        do {
            try await store.annotations.insert(annotation)
        } catch {
            annotationsInFlight -= 1
            return connection.send(.error(ErrorMessage(.internal, "could not store the annotation", path: path)))
        }
        annotationsInFlight -= 1
        annotations[annotation.id] = annotation
        broadcast(.annotation(wire(annotation)), except: nil)
        cluster?.publish(.annotation(.init(document: record.id.uuidString, id: annotation.id.uuidString, deleted: false)))
    }

    /// Toggles resolved (any editor) or deletes (its author or an owner).
    func changeAnnotation(_ id: String, delete: Bool, from connection: ClientConnection) async -> Bool {
        guard let uuid = UUID(uuidString: id), var annotation = annotations[uuid] else { return false }
        do {
            if delete {
                guard annotation.authorID == connection.user.id || connection.role == .owner else {
                    connection.send(.error(ErrorMessage(.forbidden, "only the author or the owner deletes an annotation", ref: id, path: path)))
                    return true
                }
                try await store.annotations.delete(id: uuid)
                dropAnnotation(uuid)
                cluster?.publish(.annotation(.init(document: record.id.uuidString, id: uuid.uuidString, deleted: true)))
            } else {
                guard connection.role.canEdit else {
                    connection.send(.error(ErrorMessage(.forbidden, "viewers cannot resolve annotations", ref: id, path: path)))
                    return true
                }
                annotation.resolved.toggle()
                annotation.revision = document.revision
                try await store.annotations.update(annotation)
                annotations[uuid] = annotation
                broadcast(.annotation(wire(annotation)), except: nil)
                cluster?.publish(.annotation(.init(document: record.id.uuidString, id: uuid.uuidString, deleted: false)))
            }
        } catch {
            connection.send(.error(ErrorMessage(.internal, "could not store the annotation change", ref: id, path: path)))
        }
        return true
    }
}
