import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// Joining the session and the messages the Mesh server sends.
extension LanguageServer {
    /// Looks for a session (initialization options, else `.mesh/session.json` above the
    /// workspace root) and connects in the background. With none, stays quiet.
    func startSession() {
        let discovered = editorRoot.flatMap { SessionFile.discover(from: $0) }
        if let root = discovered?.root { workspaceRoot = root }
        guard let session = options.session ?? discovered?.file.session else {
            log("Mesh: no session in this workspace; run the mesh.share or mesh.join command to start one")
            return
        }
        let server = options.server ?? discovered?.file.server ?? CredentialStore(environment: environment).server(flag: nil, environment: environment)
        background.start { await self.connect(server: server, session: session) }
    }

    /// Connects to the session, retrying with back-off while the server is unreachable.
    func connect(server: String, session: String) async {
        serverURL = CredentialStore.normalize(server)
        sessionID = session
        do {
            let token = try await accessToken(server: server)
            let collaboration = try await CollaborationClient.connect(server: server, accessToken: token, session: session,
                                                                      client: "mesh-lsp (\(client.name))", logger: logger)
            let link = SessionLink(collaboration)
            self.link = link
            background.start {
                for await message in collaboration.messages { await self.receive(message) }
                let error = await collaboration.closeError
                await self.connectionEnded(link, error: error)
            }
        } catch {
            scheduleReconnect(after: "\(error)")
        }
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

    func apiClient() throws -> MeshAPIClient {
        let store = CredentialStore(environment: environment)
        let server = serverURL ?? store.server(flag: options.server, environment: environment)
        var credentials = try store.load()
        if let token = options.token { credentials = Credentials(server: server, accessToken: token) }
        return MeshAPIClient(server: server, credentials: credentials, store: options.token == nil ? store : nil)
    }

    /// A client of `server` (an invite link's): it carries only a login made for that very server
    /// (the stored one, or the initialization options' token when they name the same server), so
    /// that a link to another server never receives this one's tokens.
    func apiClient(server: String) throws -> MeshAPIClient {
        let server = CredentialStore.normalize(server)
        let store = CredentialStore(environment: environment)
        if let token = options.token {
            let configured = options.server.map(CredentialStore.normalize) ?? serverURL
            return MeshAPIClient(server: server, credentials: configured == server ? Credentials(server: server, accessToken: token) : nil)
        }
        let credentials = try store.load().flatMap { CredentialStore.normalize($0.server) == server ? $0 : nil }
        return MeshAPIClient(server: server, credentials: credentials, store: store)
    }

    private func connectionEnded(_ ended: SessionLink, error: (any Error)?) {
        guard link === ended else { return }
        link = nil
        guard phase == .running else { return }
        scheduleReconnect(after: error.map { "\($0)" } ?? "the server closed the connection")
    }

    private func scheduleReconnect(after reason: String) {
        guard phase == .running, let serverURL, let sessionID else { return }
        reconnectAttempt += 1
        let delay = min(30.0, 0.5 * pow(2, Double(min(reconnectAttempt, 6))))
        if reconnectAttempt == 1 || reconnectAttempt % 10 == 0 {
            show("Mesh: not connected to the session (\(reason)); retrying", type: 2)
        }
        log("Mesh: reconnecting in \(delay) s: \(reason)")
        background.start {
            guard (try? await Task.sleep(for: .seconds(delay))) != nil else { return }
            await self.connect(server: serverURL, session: sessionID)
        }
    }

    func disconnect() async {
        stopWatchingDisk()
        tokenRenewal?.cancel()
        tokenRenewal = nil
        let link = self.link
        self.link = nil
        await link?.close()
    }

    // MARK: Server messages

    func receive(_ message: ServerMessage) {
        switch message {
        case let .welcome(welcome): welcomed(welcome)
        case let .snapshot(snapshot): received(snapshot)
        case let .catchUp(catchUp): received(catchUp)
        case let .ack(ack): acknowledged(ack)
        case let .remoteOp(op): received(op)
        case let .presence(presence): received(presence)
        case let .chat(chat):
            if chat.user != me?.user { show("\(chat.name): \(chat.text)") }
        case let .annotation(annotation): received(annotation)
        case let .hash(check): compareHash(check)
        case let .role(change):
            if let role = change.role {
                me?.role = role
                show("Mesh: your role in this session is now \(role.rawValue)")
            } else {
                show("Mesh: you were removed from the session", type: 2)
            }
        case let .error(error): serverError(error)
        case .pong: break
        case let .document(event): documentEvent(event)
        case let .authenticated(renewed):
            log("Mesh: the session socket is authenticated until \(Date(timeIntervalSince1970: renewed.expiresAt))")
        }
    }

    var canEdit: Bool { me?.role.canEdit ?? false }

    private func welcomed(_ welcome: ServerMessage.Welcome) {
        let reconnected = reconnectAttempt > 0
        reconnectAttempt = 0
        me = welcome.user
        if let expiry = welcome.tokenExpiresAt, let link { keepAuthenticated(link, until: expiry) }
        participants = Dictionary(welcome.online.map { ($0.user, Peer($0)) }, uniquingKeysWith: { $1 })
        sessionDocuments = Set(welcome.documents)
        opening.removeAll()
        if reconnected { show("Mesh: reconnected") }
        // Documents followed before a reconnect catch up from their revision.
        for (path, document) in documents { sendOpen(path, knownRev: document.client.revision) }
        // Files open in the editor join (or are created in) the session.
        for file in editorFiles.values {
            guard let path = file.path, documents[path] == nil, let draft = file.draft else { continue }
            if sessionDocuments.contains(path) { sendOpen(path) } else if canEdit { sendOpen(path, create: draft.description) }
        }
        // The others are followed too, to keep them current on disk, both ways.
        for path in sessionDocuments where documents[path] == nil && !opening.contains(path) { sendOpen(path) }
        watchDisk()
        takeDiskChangesMadeWhileAway()
    }

    func sendOpen(_ path: String, knownRev: Int? = nil, create: String? = nil) {
        guard let link else { return }
        opening.insert(path)
        link.send(.open(.init(path: path, knownRev: knownRev, create: create)))
    }

    func sendOp(_ path: String, _ outgoing: OutgoingOperation) {
        link?.send(.op(.init(path: path, baseRev: outgoing.baseRevision, ops: outgoing.operation, opId: outgoing.opId)))
    }

    private func received(_ snapshot: ServerMessage.Snapshot) {
        let path = snapshot.path
        opening.remove(path)
        sessionDocuments.insert(path)
        // A fresh client id per OT client: op ids must never repeat within a document.
        clientCounter += 1
        let client = OTClient(revision: snapshot.rev, clientID: "\(instanceID)-\(clientCounter)")
        if var document = documents[path] {
            // A resync: the session's text replaces ours.
            document.client = client
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
            if let opened = file.opened, let typing = file.typed, !typing.isNoop, canEdit {
                let session = opened.operation(replacingAllWith: snapshot.text)
                if let (onSession, _) = try? TextOperation.transform(typing, session),
                   let merged = try? onSession.apply(to: snapshot.text) {
                    documentText = merged
                    typed = try? client.applyLocal(onSession)
                }
            }
            var sync = EditorSync(editorText: draft.description, version: file.version, documentText: documentText,
                                  encoding: encoding, traits: self.client.editTraits)
            let outgoing = sync.initialEdit()
            documents[path] = SharedDocument(path: path, client: client, content: .open(uri: uri, sync: sync))
            editorFiles[uri]?.draft = nil
            editorFiles[uri]?.opened = nil
            editorFiles[uri]?.typed = nil
            if let typed { sendOp(path, typed) }
            if let outgoing { sendApplyEdit(uri: uri, outgoing) }
        } else {
            documents[path] = SharedDocument(path: path, client: client, content: .closed(TextBuffer(snapshot.text)))
            scheduleDiskWrite(path)
        }
        documents[path]?.presence = [:]
        for presence in snapshot.presence { received(presence) }
        documents[path]?.annotations = [:]
        for annotation in snapshot.annotations { documents[path]?.annotations[annotation.id] = annotation }
        markPresenceDirty(path)
    }

    private func received(_ catchUp: ServerMessage.CatchUp) {
        let path = catchUp.path
        opening.remove(path)
        guard var document = documents[path] else { return }
        var sent = false
        do {
            for op in catchUp.ops {
                let (apply, send) = try document.client.receiveCommitted(op.ops, revision: op.rev, opId: op.opId)
                documents[path] = document
                if let apply { applyRemote(path, apply) }
                if let send { sendOp(path, send); sent = true }
                document = documents[path]!
            }
            if !sent, let resend = document.client.resendable { sendOp(path, resend) }
            documents[path]?.client = document.client
        } catch {
            resync(path, because: "catch-up failed: \(error)")
        }
        for presence in catchUp.presence { received(presence) }
        for annotation in catchUp.annotations { documents[path]?.annotations[annotation.id] = annotation }
        markPresenceDirty(path)
    }

    private func acknowledged(_ ack: ServerMessage.Ack) {
        guard var document = documents[ack.path] else { return }
        do {
            let next = try document.client.receiveAck(opId: ack.opId, revision: ack.rev)
            documents[ack.path] = document
            if let next { sendOp(ack.path, next) }
        } catch {
            resync(ack.path, because: "unexpected acknowledgement: \(error)")
        }
    }

    private func received(_ op: ServerMessage.RemoteOp) {
        guard var document = documents[op.path] else { return }
        do {
            // Our own op comes back as remote when a resend reached another server node after the
            // first copy was committed: it counts as the ack then (only our own user's opIds).
            let ours = op.author != nil && op.author == me?.user ? op.opId : nil
            let (apply, send) = try document.client.receiveCommitted(op.ops, revision: op.rev, opId: ours)
            documents[op.path] = document
            if let apply { applyRemote(op.path, apply) }
            if let send { sendOp(op.path, send) }
        } catch {
            resync(op.path, because: "a remote edit did not apply: \(error)")
        }
    }

    /// Applies a remote edit (already transformed against local edits) to the document and,
    /// when the editor has it open, sends it on as `workspace/applyEdit`.
    func applyRemote(_ path: String, _ operation: TextOperation) {
        guard var document = documents[path] else { return }
        do {
            try document.history.recordOther(operation)
            switch document.content {
            case let .open(uri, sync):
                var sync = sync
                let outgoing = try sync.applyRemote(operation)
                document.content = .open(uri: uri, sync: sync)
                document.transformPositions(operation)
                documents[path] = document
                if let outgoing { sendApplyEdit(uri: uri, outgoing) }
            case let .closed(text):
                var text = text
                try operation.apply(to: &text)
                document.content = .closed(text)
                document.transformPositions(operation)
                documents[path] = document
                scheduleDiskWrite(path)
            }
            if let cursor = localCursor, cursor.path == path {
                localCursor?.selections = cursor.selections.map {
                    SelectionRange(anchor: operation.transform(offset: $0.anchor, stickiness: .before),
                                   head: operation.transform(offset: $0.head, stickiness: .before))
                }
            }
            markPresenceDirty(path)
        } catch {
            resync(path, because: "a remote edit did not apply: \(error)")
        }
    }

    private func received(_ annotation: ServerMessage.Annotation) {
        guard documents[annotation.path] != nil else { return }
        if annotation.deleted {
            documents[annotation.path]?.annotations.removeValue(forKey: annotation.id)
        } else {
            documents[annotation.path]?.annotations[annotation.id] = annotation
        }
        markPresenceDirty(annotation.path)
    }

    /// The server's document hash every 100 revisions: compared when we are at that revision
    /// with nothing in flight. A mismatch is reported and repaired by resync.
    private func compareHash(_ check: ClientMessage.HashCheck) {
        guard let document = documents[check.path], document.client.revision == check.rev,
              document.client.state == .synchronized
        else { return }
        if DocumentHash.of(document.text.description) != check.hash {
            resync(check.path, because: "its text differs from the server's (document hash)")
        } else if case let .open(_, sync) = document.content, sync.isInStep, sync.editor != sync.document {
            resync(check.path, because: "the editor's text differs from the session's")
        }
    }

    private func serverError(_ error: ErrorMessage) {
        if error.code == .resync, let path = error.path {
            resync(path, because: error.message)
            return
        }
        if let path = error.path { opening.remove(path) }
        log("Mesh server: \(error.description)\(error.path.map { " (\($0))" } ?? "")", type: 2)
        if error.code == .forbidden, error.path != nil { show("Mesh: \(error.message)", type: 2) }
    }

    /// Tells the user and reopens the document from a snapshot.
    func resync(_ path: String, because reason: String) {
        show("Mesh: \(path) is out of step with the session (\(reason)); resyncing", type: 2)
        guard !opening.contains(path) else { return }
        sendOpen(path)
    }

    // MARK: The disk

    /// Session documents no editor has open are written to disk shortly after they change.
    func scheduleDiskWrite(_ path: String) {
        diskWrites.insert(path)
        guard !diskWriteScheduled else { return }
        diskWriteScheduled = true
        background.start {
            try? await Task.sleep(for: .milliseconds(150))
            await self.flushDiskWrites()
        }
    }

    private func flushDiskWrites() {
        diskWriteScheduled = false
        let paths = diskWrites
        diskWrites.removeAll()
        guard let root = workspaceRoot else { return }
        var later: Set<String> = []
        for path in paths where !goneFromDisk.contains(path) {
            guard let document = documents[path], case let .closed(text) = document.content,
                  let safe = WorkspaceSharing.safePath(path)
            else { continue }
            let url = root.appendingPathComponent(safe)
            let data = Data(text.description.utf8)
            let existing = try? Data(contentsOf: url)
            if existing == data {
                setOnDisk(path, text.description)
                continue
            }
            if let changed = lastExternalChange[path], ContinuousClock.now - changed < .seconds(1) {
                later.insert(path)   // a tool wrote it a moment ago, and may not be done
                continue
            }
            if let known = knownOnDisk(path), existing != Data(known.utf8) {
                // Changed (or deleted) on disk since Mesh last wrote or read it, and not taken
                // yet: the watcher reports it once the writer has closed the file (it may be half
                // written now); taken then, and the merge written after. Looked at again in a
                // second in case no report comes.
                later.insert(path)
                background.start {
                    try? await Task.sleep(for: .seconds(1))
                    await self.takeDiskChange(path)
                }
                continue
            }
            if knownOnDisk(path) == nil, let existing, existing != data {
                // Never synced here (no record of what Mesh last wrote): what is on disk cannot be
                // told from the session's text, so it is kept before Mesh writes the session's.
                keepLocalCopy(path, existing, because: "it differed from the session's text when Mesh first wrote it")
            }
            do {
                try WorkspaceWriter.write(data, to: safe, in: root)
                setOnDisk(path, text.description)
            } catch {
                log("Mesh: could not write \(url.path): \(error)", type: 2)
            }
        }
        if !later.isEmpty {
            background.start { [later] in
                try? await Task.sleep(for: .seconds(1))
                for path in later { await self.scheduleDiskWrite(path) }
            }
        }
    }
}
