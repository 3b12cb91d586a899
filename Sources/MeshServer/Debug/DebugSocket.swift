import Foundation
import HummingbirdWebSocket
import Logging
import MeshProtocol
import MeshSandbox
import MeshStore
import NIOConcurrencyHelpers

/// Runs one `/v1/debug` connection: ``DebugHello`` first (answered ``DebugWelcome``), then DAP
/// messages, one per text frame, both ways (and ``DebugAuth``, answered ``DebugAuthenticated``).
struct DebugSocket {
    let debug: DebugHub
    let store: Store
    let limits: ServerConfiguration.Limits
    let logger: Logger
    let auth: SocketAuth
    /// How often an open debug connection's membership and role are read again.
    var membershipInterval: Duration = .seconds(1)

    /// `opener` is the bearer token's user; nil when the upgrade had none (a browser), and then
    /// `hello` must carry a ticket for its session.
    func run(user opener: AuthUser?, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        var messages = inbound.messages(maxSize: limits.maxFrameBytes).makeAsyncIterator()
        // `hello` must come within `limits.helloTimeout`, as on `/v1/ws`.
        let watchdog = outbound.helloWatchdog(limits.helloTimeout)
        let session: any DebugEndpoint
        let connection: ClientConnection
        let id = UUID()
        let user: AuthUser
        do {
            guard case let .text(text)? = try await messages.next(), let hello = DebugHello(text: text)
            else { throw ErrorMessage(.badRequest, "the first message must be {\"type\":\"hello\",\"session\":…,\"root\":…}") }
            let sessionID = hello.session
            user = try await auth.user(opener: opener, ticket: hello.ticket, session: sessionID)
            guard let member = try await store.sessions.member(sessionID: sessionID, userID: user.id) else {
                throw ErrorMessage(.notFound, "no such session")
            }
            watchdog.cancel()
            session = try await debug.endpoint(for: sessionID)
            // The outgoing queue is bounded in bytes, per connection and with the server's other
            // sockets: a participant that stops reading a chatty debuggee is cut off.
            connection = ClientConnection(user: user, session: sessionID, role: member.role, limits: limits, hub: debug.hub)
            connection.send(DebugWelcome(role: member.role, tokenExpiresAt: user.expiresAt?.timeIntervalSince1970,
                                          maxFrameBytes: limits.maxFrameBytes).text)
            let root = hello.root ?? "/workspace"
            await session.join(id: id, user: user.id, name: user.name, role: member.role, editorRoot: root) { message in
                connection.send(String(decoding: message.serialized(), as: UTF8.self))
            }
        } catch {
            watchdog.cancel()
            await outbound.reject(error)
            return
        }
        let sessionID = connection.session
        let liveKey = auth.live.register(user: user.id) { reason in
            await session.leave(id)
            connection.close(reason: reason)
        }
        defer { auth.live.unregister(user: user.id, key: liveKey) }
        let lease = SocketLease(user: user)
        // Beside the connection: the token's expiry, and the membership read again every
        // second (a demotion applies to the next request; a removal, or the session's
        // deletion, ends the participation and closes the socket).
        let watchers = Task { [store, membershipInterval] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    guard await lease.waitForExpiry() else { return }
                    await session.leave(id)
                    connection.send(WireCodec.encode(.error(ErrorMessage(.unauthorized, SocketLease.expiredMessage))))
                    connection.close(reason: .tokenExpired)
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: membershipInterval)
                        guard !Task.isCancelled else { return }
                        let member: MemberRecord?
                        do { member = try await store.sessions.member(sessionID: sessionID, userID: user.id) } catch { continue }
                        guard let member else {
                            await session.leave(id)
                            connection.close(reason: .noLongerMember)
                            return
                        }
                        await session.setRole(member.role, for: id)
                    }
                }
            }
        }
        defer { watchers.cancel() }
        await connection.serve(outbound) {
            do {
                while let message = try await messages.next() {
                    guard connection.closeReason == nil else { break }
                    guard connection.admit(rate: limits.messagesPerSecond, burst: limits.messageBurst) else {
                        connection.close(reason: .rateLimited(perSecond: Int(limits.messagesPerSecond)))
                        break
                    }
                    guard case let .text(text) = message else {
                        await session.refuse("binary WebSocket messages are not DAP; send one DAP message per text frame", to: id)
                        continue
                    }
                    let dap: JSONValue
                    do { dap = try JSONValue.parse(Data(text.utf8)) } catch {
                        await session.refuse("not valid JSON (\(error))", to: id)
                        continue
                    }
                    if dap["type"]?.string == DebugAuth.frameType {
                        // Not DAP: a fresh access token or ticket for this socket, as on `/v1/ws`.
                        let renewal = DebugAuth(json: dap)
                        switch await auth.renew(lease, token: renewal?.token, ticket: renewal?.ticket, session: sessionID) {
                        case let .success(until):
                            connection.send(DebugAuthenticated(expiresAt: until.timeIntervalSince1970).text)
                        case let .failure(error):
                            connection.send(WireCodec.encode(.error(error)))
                        }
                        continue
                    }
                    await session.received(dap, from: id)
                }
            } catch {
                logger.debug("debug socket ended", metadata: ["error": "\(error)"])
            }
            await session.leave(id)
            connection.close(reason: connection.closeReason ?? .normal)
        }
    }
}
