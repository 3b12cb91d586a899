import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// The document bridge and the session: opening documents, and the messages of the Mesh server
/// about their texts (snapshots, catch-ups, acknowledgements, remote edits, hashes, errors, and
/// documents created or deleted).
extension DocumentBridge {
    /// `welcome` (after the session link took it): every document followed before a reconnect
    /// catches up from its revision, the files open in the editor join (or are created in) the
    /// session, the others are followed too, to keep them current on disk, both ways.
    mutating func welcomed(_ paths: [String], session: SessionPort) {
        sessionDocuments = Set(paths)
        opening.removeAll()
        // A new connection: the old one's opens are not answered, and every open is sent again below.
        opensInFlight.removeAll()
        // A create the old connection never answered may land yet; one it refused did not. A
        // file from disk with either is offered again below, as the disk has it now.
        var createsToOfferAgain = Set(refusedOpens.compactMap { $0.value.request.create == nil ? nil : $0.key })
        for (path, request) in openRequests {
            guard let create = request.create else { continue }
            unansweredCreates[path] = Array(((unansweredCreates[path] ?? []) + [create]).suffix(Self.unansweredCreatesKept))
            createsToOfferAgain.insert(path)
        }
        openRequests.removeAll()
        refusedOpens.removeAll()
        // Documents that left the session while we were away (deleted, or renamed: the new path
        // is followed below as any new document): followed no more, as after their `document`
        // event. Edits of ours the server never confirmed cannot reach them: kept aside.
        for (path, document) in documents where !sessionDocuments.contains(path) {
            if document.client.state != .synchronized {
                keepLocalCopy(path, Data(document.text.description.utf8),
                              because: "it was renamed or deleted in the session while you were away, before your edits to it got there",
                              beforeWrite: false)
            }
            documentEvent(.init(path: path, change: .deleted), session: session,
                          gone: "was renamed or deleted in the session while you were away")
        }
        for (path, document) in documents { sendOpen(path, knownRev: document.client.revision, session: session) }
        for file in editorFiles.values {
            guard let path = file.path, documents[path] == nil, let draft = file.draft else { continue }
            if sessionDocuments.contains(path) {
                sendOpen(path, session: session)
            } else if session.canEdit {
                sendOpen(path, create: draft.description, session: session)
                // The document starts as the editor's text, typing and all: only what is typed
                // from now on is merged into it when it comes back.
                startFrom(draft, uri: file.uri)
            }
        }
        for path in sessionDocuments where documents[path] == nil && !opening.contains(path) { sendOpen(path, session: session) }
        watchDisk()
        disk.changedWhileAway.formUnion(createsToOfferAgain)   // (an editor's file was offered above)
        takeDiskChangesMadeWhileAway(session: session)
        // Kept only for a path whose create was sent again: the answer to that one is where an
        // earlier create can come back (kept longer, a stale text could pass a peer's document
        // for ours).
        unansweredCreates = unansweredCreates.filter { openRequests[$0.key]?.create != nil }
    }

    /// After `mesh.share`: the session's documents start from the files as uploaded (their synced
    /// copies), not from the texts the editor opened them with. What an open file holds beyond
    /// its upload (unsaved typing) goes in as the user's edit; typing saved before the share is
    /// in the upload already and must not go in twice.
    mutating func sharedFromDisk(_ paths: [String]) {
        guard let root = workspaceRoot else { return }
        let copies = SyncedCopies(root: root), paths = Set(paths)
        for (uri, file) in editorFiles {
            guard let path = file.path, paths.contains(path), file.draft != nil, let uploaded = copies.text(of: path) else { continue }
            startFrom(TextBuffer(uploaded), uri: uri)
        }
    }

    /// The session's text of an unbridged editor file is `base`: what the user typed is now its
    /// difference to the editor's text.
    mutating func startFrom(_ base: TextBuffer, uri: String) {
        guard let draft = editorFiles[uri]?.draft else { return }
        editorFiles[uri]?.opened = base
        editorFiles[uri]?.typed = base.operation(replacingAllWith: draft.description)
    }

    mutating func received(_ snapshot: ServerMessage.Snapshot, session: SessionPort) {
        let path = snapshot.path
        // Our open asked to create the document with this text, and someone else created the
        // path first (the server opened theirs instead: no `created`).
        let created = snapshot.created == true ? nil : openRequests[path]?.create
        // A create of ours sent before a reconnect, landed after it: the session still has the
        // text it sent.
        let ourEarlierCreate = unansweredCreates.removeValue(forKey: path)?.contains(snapshot.text) == true
        opened(path)
        sessionDocuments.insert(path)
        // A fresh client id per OT client: op ids must never repeat within a document.
        clientCounter += 1
        let client = OTClient(revision: snapshot.rev, clientID: "\(instanceID)-\(clientCounter)")
        if var document = documents[path] {
            // A resync: the session's text replaces ours. Edits of ours it has not acknowledged
            // are not in it: the text that held them is kept, and the user told.
            if document.client.state != .synchronized, document.text.description != snapshot.text {
                keepLocalCopy(path, Data(document.text.description.utf8),
                              because: "edits of yours the server had not confirmed could not be merged into the session's text",
                              beforeWrite: false)
            }
            document.client = client
            document.id = snapshot.id
            document.history.reset()
            switch document.content {
            case let .open(uri, sync):
                var sync = sync
                let outgoing = sync.resync(documentText: snapshot.text)
                document.content = .open(uri: uri, sync: sync)
                documents[path] = document
                if let outgoing { sendApplyEdit(uri: uri, outgoing) }
            case .closed:
                document.content = .closed(TextBuffer(snapshot.text))
                documents[path] = document
                scheduleDiskWrite(path)
            }
        } else if let (uri, file) = editorFiles.first(where: { $0.value.path == path && $0.value.draft != nil }), let draft = file.draft {
            // The session's text wins over the one the editor opened (a file on disk can be
            // behind the session), but what the user typed since the open is kept: it and the
            // session's difference from the opened text are concurrent edits of that text, so
            // the typing is transformed onto the session's text and sent as the user's edit.
            var client = client
            var documentText = snapshot.text
            var typed: OutgoingOperation?
            if ourEarlierCreate, session.canEdit {
                // The session's text is what the editor showed when that create was sent:
                // everything the editor shows beyond it is the user's typing since. (Merged as
                // below from the text of the create sent again, that typing would be taken for
                // someone else's and undone.)
                let typing = TextBuffer(snapshot.text).operation(replacingAllWith: draft.description)
                if draft.description != snapshot.text, let sent = try? client.applyLocal(typing) {
                    documentText = draft.description
                    typed = sent
                }
            } else if let opened = file.opened, let typing = file.typed, !typing.isNoop, session.canEdit, draft.description != snapshot.text {
                // Nothing to merge when the editor already shows the session's text (its typing
                // reached the session another way: a save before a share, a create from it).
                let sessionChange = opened.operation(replacingAllWith: snapshot.text)
                if let (onSession, _) = try? TextOperation.transform(typing, sessionChange),
                   let merged = try? onSession.apply(to: snapshot.text) {
                    documentText = merged
                    typed = try? client.applyLocal(onSession)
                }
            }
            if let created, created != snapshot.text, draft.description != documentText {
                keepLocalCopy(path, Data(draft.description.utf8), because: Self.createdFirst, beforeWrite: false)
            }
            var sync = newSync(editorText: draft.description, version: file.version, documentText: documentText)
            let outgoing = sync.initialEdit()
            documents[path] = SharedDocument(path: path, client: client, content: .open(uri: uri, sync: sync), id: snapshot.id)
            // The editor owns the file while it is open: what Mesh knew on disk no longer says what
            // the file holds (a save of typing the session now has), so it is no base to merge from.
            setOnDisk(path, nil)
            editorFiles[uri]?.draft = nil
            editorFiles[uri]?.opened = nil
            editorFiles[uri]?.typed = nil
            if let typed { sendOp(path, typed, session: session) }
            if let outgoing { sendApplyEdit(uri: uri, outgoing) }
        } else {
            if let created, created != snapshot.text, !ourEarlierCreate {
                // Created from a file on disk, which the session's text is about to replace.
                keepLocalCopy(path, Data(created.utf8), because: Self.createdFirst, beforeWrite: false)
            }
            documents[path] = SharedDocument(path: path, client: client, content: .closed(TextBuffer(snapshot.text)), id: snapshot.id)
            if ourEarlierCreate, let root = workspaceRoot,
               FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) {
                // The file held this text when the create was sent: what it holds beyond it now
                // is a change made on disk since, taken as any other. (Gone from disk, it is
                // written again, as any document newly followed: never a deletion from here.)
                setOnDisk(path, snapshot.text)
                takeDiskChange(path, session: session)
            }
            scheduleDiskWrite(path)
        }
        note(.replaced(path: path))
    }

    /// Why a file's text is kept aside when its document was created by someone else first.
    static let createdFirst = "someone else created it in the session at the same time, and the session has their text"

    /// A catch-up (after a reconnect): the edits missed, then ours not acknowledged sent again.
    mutating func received(_ catchUp: ServerMessage.CatchUp, session: SessionPort) {
        let path = catchUp.path
        opened(path)
        if let id = catchUp.id { documents[path]?.id = id }
        guard documents[path] != nil else { return }
        do {
            var sent = false
            for op in catchUp.ops {
                if try take(op, of: path, session: session) { sent = true }
            }
            if !sent, let resend = documents[path]?.client.resendable { sendOp(path, resend, session: session) }
        } catch {
            resync(path, because: "catch-up failed: \(error)", session: session)
        }
    }

    mutating func acknowledged(_ ack: ServerMessage.Ack, session: SessionPort) {
        guard var document = documents[ack.path] else { return }
        do {
            let next = try document.client.receiveAck(opId: ack.opId, revision: ack.rev)
            documents[ack.path] = document
            if let next { sendOp(ack.path, next, session: session) }
        } catch {
            resync(ack.path, because: "unexpected acknowledgement: \(error)", session: session)
        }
    }

    mutating func received(_ remote: ServerMessage.RemoteOp, session: SessionPort) {
        do {
            _ = try take(remote.committed, of: remote.path, session: session)
        } catch {
            resync(remote.path, because: "a remote edit did not apply: \(error)", session: session)
        }
    }

    /// One committed operation of `path`, from a catch-up or a `remoteOp`: applied as a remote
    /// edit, or taken as the ack of our outstanding op when it is ours. Only our own user's
    /// opIds can be ours (another participant may use the same strings); our own op comes back
    /// so when a resend reached another server node after the first copy was committed.
    /// Returns whether an op of ours went out after it.
    private mutating func take(_ op: CommittedOperation, of path: String, session: SessionPort) throws -> Bool {
        guard var document = documents[path] else { return false }
        let ours = op.author != nil && op.author == session.me?.user ? op.opId : nil
        let (apply, send) = try document.client.receiveCommitted(op.operation, revision: op.revision, opId: ours)
        documents[path] = document
        if let apply { applyRemote(path, apply, session: session) }
        if let send { sendOp(path, send, session: session) }
        return send != nil
    }

    /// Applies a remote edit (already transformed against local edits) to the document and,
    /// when the editor has it open, sends it on as `workspace/applyEdit`.
    mutating func applyRemote(_ path: String, _ operation: TextOperation, session: SessionPort) {
        guard var document = documents[path] else { return }
        do {
            try document.history.recordOther(operation)
            switch document.content {
            case let .open(uri, sync):
                var sync = sync
                let outgoing = try sync.applyRemote(operation)
                document.content = .open(uri: uri, sync: sync)
                documents[path] = document
                if let outgoing { sendApplyEdit(uri: uri, outgoing) }
            case let .closed(text):
                var text = text
                try operation.apply(to: &text)
                document.content = .closed(text)
                documents[path] = document
                scheduleDiskWrite(path)
            }
            note(.edited(path: path, operation: operation, byPeer: true))
        } catch {
            resync(path, because: "a remote edit did not apply: \(error)", session: session)
        }
    }

    /// The server's document hash every 100 revisions: compared when we are at that revision
    /// with nothing in flight. A mismatch is reported and repaired by resync.
    mutating func compareHash(_ check: ClientMessage.HashCheck, session: SessionPort) {
        guard let document = documents[check.path], document.client.revision == check.rev,
              document.client.state == .synchronized
        else { return }
        if DocumentHash.of(document.text.description) != check.hash {
            resync(check.path, because: "its text differs from the server's (document hash)", session: session)
        } else if case let .open(_, sync) = document.content, sync.isInStep, sync.editor != sync.document {
            resync(check.path, because: "the editor's text differs from the session's", session: session)
        }
    }

    /// An error from the server: a resync asked for, or reported (a refused `open` is no longer
    /// awaited).
    mutating func serverError(_ error: ErrorMessage, session: SessionPort) {
        if error.code == .resync, let path = error.path {
            if error.answersOpen { openAnswered(path) }
            // A rename ends the subscription under the old path ("renamed to <path>"); the
            // session's `document` events that follow move the document (``moveDocument``).
            guard documents[path] != nil, !error.message.hasPrefix("renamed to ") else { return }
            // The server dropped its copy (it could not store or reload the document) and asks
            // every subscriber to reopen, or refused an op of ours it could not place (based on a
            // revision it no longer holds, say, sent before a catch-up arrived). Reopen from our
            // revision first, so that the catch-up brings what we missed and our unacknowledged
            // edits are sent again, rebased, as after a reconnect. Only the same op refused again
            // is a real divergence: the session's text replaces ours.
            let ref = error.answersOpen ? nil : error.ref
            if let ref, resyncRefusedOps[path] == ref {
                resyncRefusedOps[path] = nil
                resync(path, because: error.message, session: session)
                return
            }
            if let ref, documents[path]?.client.outstanding?.opId == ref { resyncRefusedOps[path] = ref }
            if let document = documents[path] {
                editor.log("Mesh: the server reopens \(path) (\(error.message)); catching up", type: 3)
                if !opening.contains(path) { sendOpen(path, knownRev: document.client.revision, session: session) }
            }
            return
        }
        if let path = error.path, let ref = error.ref, error.code == .forbidden || error.code == .tooLarge,
           documents[path]?.client.outstanding?.opId == ref {
            // Our edit in flight was refused for good (a viewer's, or one the size limits stop):
            // it, and what was typed after it, can never be acknowledged, so nothing more would be
            // sent. The session's text replaces ours (a snapshot); the text that held the refused
            // edits is kept in .mesh/conflicts (``received(_:session:)``).
            editor.show("Mesh: your change to \(path) was not applied (\(error.message)); it goes back to the session's text", type: 2)
            if !opening.contains(path) { sendOpen(path, session: session) }
            return
        }
        if let path = error.path, error.answersOpen {
            let request = openRequests[path]
            openAnswered(path)
            if error.code == .internal, opensInFlight[path] == nil, let request, let link = session.link {
                // Refused for a passing reason (the server's database was away a moment): asked
                // again after a growing delay, so that the document does not stay unsubscribed,
                // its edits unsent, until the editor reopens it.
                let refusals = (refusedOpens[path]?.refusals ?? 0) + 1
                refusedOpens[path] = RefusedOpen(request: request, refusals: refusals, link: ObjectIdentifier(link))
                let delay = Self.openRetryDelay(after: refusals)
                editor.log("Mesh server: \(error.description) (\(path)); opening it again in \(delay)", type: 2)
                if refusals == Self.refusalsBeforeTelling {
                    editor.show("Mesh: the server cannot open \(path) at the moment (\(error.message)); still trying", type: 2)
                }
                background.deliver(.retryOpen(path), after: delay, unlessEnding: true)
                return
            }
            refusedOpens[path] = nil
        } else if let path = error.path, error.ref == nil {
            // From a server that does not tag its answers to `open`, any error about the path
            // without a `ref` may be one.
            opening.remove(path)
        }
        editor.log("Mesh server: \(error.description)\(error.path.map { " (\($0))" } ?? "")", type: 2)
        if error.code == .forbidden, error.path != nil { editor.show("Mesh: \(error.message)", type: 2) }
    }

    /// Tells the user and reopens the document from a snapshot.
    mutating func resync(_ path: String, because reason: String, session: SessionPort) {
        editor.show("Mesh: \(path) is out of step with the session (\(reason)); resyncing", type: 2)
        guard !opening.contains(path) else { return }
        sendOpen(path, session: session)
    }

    /// A document of the session was created, deleted or renamed (by anyone): a new one is
    /// followed (and so written to disk); a deleted one is no longer, and its file goes unless
    /// it was changed here since Mesh wrote it; a renamed one (`deleted` with `renamedTo`, then
    /// `created` with `renamedFrom`) is followed under its new path, and its file moves.
    /// `gone` says what became of a document that is no longer followed.
    mutating func documentEvent(_ event: ServerMessage.DocumentEvent, session: SessionPort,
                                gone: String = "was deleted from the session") {
        let path = event.path
        if event.change == .deleted, let to = event.renamedTo, WorkspaceSharing.safePath(to) != nil {
            moveDocument(from: path, to: to, session: session)
            return
        }
        if event.change == .created, let from = event.renamedFrom, documents[from] != nil, documents[path] == nil {
            moveDocument(from: from, to: path, session: session)
            return
        }
        switch event.change {
        case .created:
            sessionDocuments.insert(path)
            if documents[path] == nil, !opening.contains(path) { sendOpen(path, session: session) }
        case .deleted:
            sessionDocuments.remove(path)
            opening.remove(path)
            disk.goneWhileOpen.remove(path)
            guard let document = documents.removeValue(forKey: path) else { return }
            note(.removed(path: path))
            defer {
                setOnDisk(path, nil)
                disk.goneFromDisk.remove(path)
            }
            if let uri = document.uri {
                editor.show("Mesh: \(path) \(gone); your buffer is no longer shared", type: 2)
                editor.notify("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []])
                return
            }
            guard let root = workspaceRoot, !disk.goneFromDisk.contains(path), let safe = WorkspaceSharing.safePath(path) else { return }
            let url = root.appendingPathComponent(safe)
            guard let data = try? Data(contentsOf: url) else { return }
            if let known = knownOnDisk(path), data == Data(known.utf8) {
                try? FileManager.default.removeItem(at: url)
            } else {
                editor.show("Mesh: \(path) \(gone); your changed copy on disk is kept", type: 2)
            }
        }
    }
}
