import Foundation
import HummingbirdWebSocket
import MeshProtocol
import MeshStore
import NIOCore

/// Runs one `/v1/ws` connection: the versioned hello, then the message loop, with a writer
/// draining the connection's bounded queue alongside.
struct CollaborationSocket {
    let hub: CollaborationHub
    let store: Store
    let limits: ServerConfiguration.Limits
    let auth: SocketAuth

    /// `opener` is the bearer token's user; nil for a socket opened without `Authorization`, whose
    /// `hello` must then carry a ticket.
    func run(user opener: AuthUser?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        var messages = inbound.messages(maxSize: limits.maxFrameBytes).makeAsyncIterator()
        let connection: ClientConnection
        let watchdog = outbound.helloWatchdog(limits.helloTimeout)
        do {
            connection = try await handshake(user: opener, messages: &messages, outbound: outbound)
            watchdog.cancel()
            guard await hub.register(connection) else {
                connection.releaseQueue()   // the welcome it queued is never written
                throw ErrorMessage(.rateLimited, "you have \(limits.maxConnectionsPerUser) connections open already; close one first")
            }
        } catch {
            watchdog.cancel()
            await outbound.reject(error)
            return
        }
        let user = connection.user
        let liveKey = auth.live.register(user: user.id) { reason in connection.close(reason: reason) }
        defer { auth.live.unregister(user: user.id, key: liveKey) }
        let lease = SocketLease(user: user)
        let expiryWatch = Task {
            guard await lease.waitForExpiry() else { return }
            connection.send(.error(ErrorMessage(.unauthorized, SocketLease.expiredMessage)))
            connection.close(reason: .tokenExpired)
        }
        defer { expiryWatch.cancel() }
        var opened: [String: DocumentActor] = [:]
        await connection.serve(outbound) {
            do {
                while let message = try await messages.next() {
                    guard connection.closeReason == nil else { break }
                    guard connection.admit(rate: limits.messagesPerSecond, burst: limits.messageBurst) else {
                        connection.send(.error(ErrorMessage(.rateLimited, "more than \(Int(limits.messagesPerSecond)) messages per second; reconnect and resync")))
                        connection.close(reason: .rateLimited(perSecond: nil))
                        break
                    }
                    await handle(message, connection, &opened, lease: lease)
                }
                connection.close(reason: .normal)
            } catch {
                // Oversized frames and protocol errors end the connection with a clear reason.
                let tooBig = CloseReason.isOversized(error)
                connection.send(.error(ErrorMessage(tooBig ? .tooLarge : .badRequest,
                                                    tooBig ? "message larger than \(limits.maxFrameBytes) bytes" : "\(error)")))
                connection.close(reason: tooBig ? .messageTooLarge : .protocolError)
            }
        }
        for document in opened.values { await document.close(connection) }
        await hub.unregister(connection)
    }

    /// The first message must be `hello` with a supported protocol version, a session the user
    /// belongs to and, when the upgrade had no bearer token, a ticket for that session.
    private func handshake(user opener: AuthUser?, messages: inout WebSocketInboundMessageStream.AsyncIterator,
                           outbound: WebSocketOutboundWriter) async throws -> ClientConnection {
        guard let first = try await messages.next() else { throw ErrorMessage(.badRequest, "closed before hello") }
        guard case let .hello(hello) = try decode(first) else { throw ErrorMessage(.badRequest, "the first message must be hello") }
        guard ProtocolVersion.supported.contains(hello.protocol) else {
            throw ErrorMessage(.protocolVersion, "protocol \(hello.protocol) is not supported; this server speaks \(ProtocolVersion.supported)")
        }
        guard let session = UUID(uuidString: hello.session) else { throw ErrorMessage(.notFound, "no such session, or you are not a member") }
        let user = try await auth.user(opener: opener, ticket: hello.ticket, session: session)
        guard try await store.sessions.find(id: session) != nil,
              let member = try await store.sessions.member(sessionID: session, userID: user.id)
        else { throw ErrorMessage(.notFound, "no such session, or you are not a member") }
        let connection = ClientConnection(user: user, session: session, role: member.role, limits: limits, hub: hub)
        let documents = try await store.documents.list(sessionID: session).map(\.path)
        var chat: [ServerMessage.Chat] = []
        for record in try await store.chat.recent(sessionID: session, limit: limits.chatHistory) {
            let name = try await store.users.find(id: record.authorID)?.displayName ?? ""
            chat.append(CollaborationHub.wire(record, name: name))
        }
        connection.send(.welcome(.init(protocol: ProtocolVersion.current, session: session.uuidString, user: connection.participant,
                                       online: await hub.participants(session), documents: documents, chat: chat,
                                       tokenExpiresAt: user.expiresAt?.timeIntervalSince1970,
                                       maxFrameBytes: limits.maxFrameBytes)))
        return connection
    }

    private func decode(_ message: WebSocketMessage) throws -> ClientMessage {
        guard case let .text(text) = message else { throw ErrorMessage(.badRequest, "binary messages are not supported; send JSON text") }
        do {
            return try WireCodec.decode(text)
        } catch let error as UnknownMessageType {
            throw ErrorMessage(.unknownType, error.description)
        } catch let error as DecodingError {
            throw ErrorMessage(.badRequest, "malformed message: \(ErrorMiddleware<MeshRequestContext>.describe(error))")
        }
    }

    private func handle(_ raw: WebSocketMessage, _ connection: ClientConnection, _ opened: inout [String: DocumentActor],
                        lease: SocketLease) async {
        let message: ClientMessage
        do { message = try decode(raw) } catch {
            return connection.send(.error((error as? ErrorMessage) ?? ErrorMessage(.badRequest, "\(error)")))
        }
        switch message {
        case .hello:
            connection.send(.error(ErrorMessage(.badRequest, "already said hello")))
        case let .open(open):
            do {
                let path = try DocumentPath.validate(open.path)
                // An actor unloaded between the hub's answer and the subscription says so;
                // the hub then has a fresh one (a few tries at most, each a real unload).
                var subscribed: DocumentActor?
                var created = false
                for _ in 0..<8 where subscribed == nil {
                    let (document, made) = try await openDocument(path, create: open.create, connection)
                    created = created || made
                    // The actor sends the snapshot or catch-up itself, before any op it relays later.
                    if await document.open(connection, knownRev: open.knownRev, knownId: open.knownId, created: created) { subscribed = document }
                }
                guard let document = subscribed else { throw ErrorMessage(.internal, "the document kept being unloaded; try again") }
                opened[path] = document
            } catch {
                var error = (error as? ErrorMessage) ?? ErrorMessage(.internal, "could not open the document")
                error.path = open.path
                error.ref = ErrorMessage.openRef
                connection.send(.error(error))
            }
        case let .close(ref):
            if let document = opened.removeValue(forKey: ref.path) { await document.close(connection) }
        case let .op(op):
            guard let document = opened[op.path] else {
                return connection.send(.error(ErrorMessage(.badRequest, "open the document before editing it", ref: op.opId, path: op.path)))
            }
            await document.submit(op, from: connection)
        case let .presence(update):
            await opened[update.path]?.updatePresence(update, from: connection)
        case let .hash(check):
            await opened[check.path]?.checkHash(check, from: connection)
        case let .annotate(request):
            guard let document = opened[request.path] else {
                return connection.send(.error(ErrorMessage(.badRequest, "open the document first", path: request.path)))
            }
            await document.annotate(request, from: connection)
        case let .resolve(ref), let .deleteAnnotation(ref):
            let delete = if case .deleteAnnotation = message { true } else { false }
            for document in opened.values where await document.changeAnnotation(ref.id, delete: delete, from: connection) { return }
            connection.send(.error(ErrorMessage(.notFound, "no annotation \(ref.id) in your open documents", ref: ref.id)))
        case let .chat(chat):
            await hub.chat(chat.text, from: connection)
        case let .ping(ping):
            connection.send(.pong(.init(id: ping.id)))
        case let .auth(renewal):
            switch await auth.renew(lease, token: renewal.token, ticket: renewal.ticket, session: connection.session) {
            case let .success(until): connection.send(.authenticated(.init(expiresAt: until.timeIntervalSince1970)))
            case let .failure(error): connection.send(.error(error))
            }
        }
    }

    /// The document's live actor, and whether this call created the document (when asked to
    /// and allowed; false when it exists, or someone else created it meanwhile).
    private func openDocument(_ path: String, create: String?, _ connection: ClientConnection) async throws -> (DocumentActor, created: Bool) {
        if let record = try await store.documents.find(sessionID: connection.session, path: path) {
            return (try await hub.document(record), false)
        }
        guard let text = create else { throw ErrorMessage(.notFound, "no document \(path) in this session") }
        guard connection.role.canEdit else { throw ErrorMessage(.forbidden, "viewers cannot create documents") }
        let record = DocumentRecord(sessionID: connection.session, path: path, size: text.utf8.count)
        var created = true
        do {
            try await hub.createDocument(record, text: text)
        } catch StoreError.conflict {
            created = false   // someone created it first: open theirs
        }
        guard let stored = try await store.documents.find(sessionID: connection.session, path: path) else {
            throw ErrorMessage(.internal, "document vanished while being created")
        }
        return (try await hub.document(stored), created)
    }
}

extension WebSocketOutboundWriter {
    /// Closes the connection unless cancelled within `timeout`: `hello` must come in time, as a
    /// socket that never says it holds a connection for nothing. Closing our side ends the
    /// inbound stream too.
    func helloWatchdog(_ timeout: Duration) -> Task<Void, any Error> {
        Task {
            try await Task.sleep(for: timeout)
            try? await write(.text(WireCodec.encode(.error(ErrorMessage(.badRequest, "no hello within \(timeout)")))))
            try? await close(.policyViolation, reason: "no hello in time")
        }
    }

    /// Answers a failed hello with `error` (a bad request unless it is an ``ErrorMessage``) and
    /// closes the connection.
    func reject(_ error: any Error) async {
        let message = (error as? ErrorMessage) ?? ErrorMessage(.badRequest, "\(error)")
        try? await write(.text(WireCodec.encode(.error(message))))
        try? await close(.policyViolation, reason: message.code.rawValue)
    }
}
