import Foundation
import HummingbirdWebSocket
import Logging
import MeshProtocol
import MeshSandbox
import MeshStore
import NIOConcurrencyHelpers

/// The debug sessions of this server, one per Mesh session at most.
actor DebugHub {
    let store: Store
    let hub: CollaborationHub
    let sandbox: Sandbox
    let dataDirectory: String
    let logger: Logger
    private(set) var sessions: [UUID: DebugSession] = [:]

    init(store: Store, hub: CollaborationHub, sandbox: Sandbox, dataDirectory: String, logger: Logger) {
        self.store = store
        self.hub = hub
        self.sandbox = sandbox
        self.dataDirectory = dataDirectory
        self.logger = logger
    }

    func session(_ id: UUID) throws -> DebugSession {
        if let existing = sessions[id] { return existing }
        let workspace = SessionWorkspace(store: store, hub: hub, root: try SessionWorkspace.create(in: dataDirectory))
        let session = DebugSession(sessionID: id, workspace: workspace, sandbox: sandbox, logger: logger) { [weak self] in
            await self?.ended(id)
        }
        sessions[id] = session
        return session
    }

    private func ended(_ id: UUID) { sessions.removeValue(forKey: id) }
}

/// Runs one `/v1/debug` connection: `{"type":"hello","session":…,"root":…}` first (answered
/// `{"type":"welcome","role":…}`), then DAP messages, one per text frame, both ways.
struct DebugSocket {
    let debug: DebugHub
    let store: Store
    let limits: ServerConfiguration.Limits
    let logger: Logger
    let live: LiveSockets
    /// How often an open debug connection's membership and role are read again.
    var membershipInterval: Duration = .seconds(1)

    func run(user: AuthUser, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        var messages = inbound.messages(maxSize: limits.maxFrameBytes).makeAsyncIterator()
        let (stream, queue) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let session: DebugSession
        let sessionID: UUID
        let id = UUID()
        do {
            guard case let .text(text)? = try await messages.next(), let hello = try? JSONValue.parse(Data(text.utf8)),
                  hello["type"]?.string == "hello", let requested = hello["session"]?.string.flatMap(UUID.init(uuidString:))
            else { throw ErrorMessage(.badRequest, "the first message must be {\"type\":\"hello\",\"session\":…,\"root\":…}") }
            sessionID = requested
            guard let member = try await store.sessions.member(sessionID: sessionID, userID: user.id) else {
                throw ErrorMessage(.notFound, "no such session")
            }
            session = try await debug.session(sessionID)
            let root = hello["root"]?.string ?? "/workspace"
            await session.join(id: id, user: user.id, name: user.name, role: member.role, editorRoot: root) { message in
                queue.yield(String(decoding: message.serialized(), as: UTF8.self))
            }
            try await outbound.write(.text(String(decoding: JSONValue.object(["type": "welcome", "role": .string(member.role.rawValue)]).serialized(), as: UTF8.self)))
        } catch {
            let message = (error as? ErrorMessage) ?? ErrorMessage(.badRequest, "\(error)")
            try? await outbound.write(.text(WireCodec.encode(.error(message))))
            try? await outbound.close(.policyViolation, reason: message.code.rawValue)
            return
        }
        let liveKey = live.register(user: user.id) { reason in
            await session.leave(id)
            try? await outbound.close(.policyViolation, reason: reason)
        }
        defer { live.unregister(user: user.id, key: liveKey) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await text in stream { try? await outbound.write(.text(text)) }
            }
            // The role is read again every second: a demotion applies to the next request, a
            // removal (or the session's deletion) ends the participation and closes the socket.
            group.addTask { [store, membershipInterval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: membershipInterval)
                    guard !Task.isCancelled else { return }
                    let member: MemberRecord?
                    do { member = try await store.sessions.member(sessionID: sessionID, userID: user.id) } catch { continue }
                    guard let member else {
                        await session.leave(id)
                        try? await outbound.close(.policyViolation, reason: "you are no longer a member of this session")
                        return
                    }
                    await session.setRole(member.role, for: id)
                }
            }
            do {
                while let message = try await messages.next() {
                    guard case let .text(text) = message else {
                        await session.refuse("binary WebSocket messages are not DAP; send one DAP message per text frame", to: id)
                        continue
                    }
                    let dap: JSONValue
                    do { dap = try JSONValue.parse(Data(text.utf8)) } catch {
                        await session.refuse("not valid JSON (\(error))", to: id)
                        continue
                    }
                    await session.received(dap, from: id)
                }
            } catch {
                logger.debug("debug socket ended", metadata: ["error": "\(error)"])
            }
            await session.leave(id)
            queue.finish()
            group.cancelAll()
        }
        try? await outbound.close(.normalClosure, reason: nil)
    }
}
