import Foundation
import Logging
import MeshProtocol
import MeshSandbox
import MeshStore
import MeshFraming

/// One shared debug session: Delve (`dlv dap`) in a sandbox container with the session's live
/// code, and the participants attached to it. ``DebugRouter`` decides where each DAP message
/// goes; this actor keeps the container, the relay's socket, the tasks and the session's end,
/// and performs the router's actions. A debug session whose container runs ends when no
/// participant with the editor role is left, and when the Mesh session is deleted.
actor DebugSession {
    let sessionID: UUID
    let workspace: SessionWorkspace
    let sandbox: Sandbox
    let logger: Logger
    let onEnd: @Sendable () async -> Void
    private var router = DebugRouter()
    /// Each participant's way to their connection.
    private var senders: [UUID: @Sendable (JSONValue) -> Void] = [:]
    private var process: SandboxProcess?
    /// The relay's DAP stream (a Unix socket the relay dialed; the container's attached stdio has
    /// its stderr).
    private var relay: RelaySocket?
    private var starting: Task<(SandboxProcess, RelaySocket), any Error>?
    /// Reads the relay and the container while it runs (``pump(_:_:)``): it ends when the
    /// container does, and ``end()`` cancels it once it has killed the container.
    private var pumping: Task<Void, Never>?
    private var ended = false

    init(sessionID: UUID, workspace: SessionWorkspace, sandbox: Sandbox, logger: Logger, onEnd: @escaping @Sendable () async -> Void) {
        self.sessionID = sessionID
        self.workspace = workspace
        self.sandbox = sandbox
        self.logger = logger
        self.onEnd = onEnd
    }

    var isEmpty: Bool { router.isEmpty }

    func join(id: UUID, user: UUID, name: String, role: Role, editorRoot: String, send: @escaping @Sendable (JSONValue) -> Void) {
        router.join(id: id, user: user, name: name, role: role, editorRoot: editorRoot)
        senders[id] = send
    }

    /// A participant's connection ended: only they are detached; the last one, or the last
    /// editor, ends the session.
    func leave(_ id: UUID) async {
        guard router.leave(id) else { return }
        senders[id] = nil
        if router.isEmpty { return await end() }
        await endIfNoEditor()
        // After someone leaves, their breakpoints go.
        if !ended, process != nil { deliver(router.resendBreakpoints()) }
    }

    // MARK: From participants

    func received(_ message: JSONValue, from id: UUID) async {
        // Ended (idle limit, the program's end, a deletion): its Delve is gone, so nothing would
        // ever answer. Say so instead.
        if ended, message["command"]?.string != "disconnect" {   // a disconnect is answered here, as before
            return deliver(router.refuseRequest(message, from: id, reason: "this debug session has ended; start debugging again"))
        }
        await perform(router.received(message, from: id, containerActive: process != nil || starting != nil))
    }

    /// A participant's role changed (or was read again): it applies to their next request.
    func setRole(_ role: Role, for id: UUID) async {
        guard router.setRole(role, for: id) else { return }
        await endIfNoEditor()
    }

    /// A member's role changed, or they were removed (nil): every connection of theirs follows
    /// at once (their sockets close when they next read their membership).
    func memberChanged(user: UUID, role: Role?) async {
        for id in router.participantIDs(of: user) {
            if let role { await setRole(role, for: id) } else { await leave(id) }
        }
    }

    /// Ends the debug session for everyone, telling them why: an `output` event, then
    /// `terminated`.
    func terminate(_ reason: String) async {
        guard !ended else { return }
        deliver(router.broadcast(["event": "output", "body": ["category": "important", "output": .string("Mesh: \(reason)\n")]]))
        deliver(router.broadcast(["event": "terminated"]))
        await end()
    }

    /// A program nobody left may control is not kept running for its viewers.
    private func endIfNoEditor() async {
        guard !ended, !router.isEmpty, process != nil || starting != nil, !router.hasEditor else { return }
        await terminate("no editor is left in this debug session (removed, made a viewer or gone), so it ended")
    }

    /// Does what the router decided, in order: a request that waits for the container or the
    /// workspace goes on (or is answered with the error) once that is done.
    private func perform(_ actions: [DebugRouter.Action]) async {
        for action in actions {
            switch action {
            case .toDelve, .toParticipant:
                deliver([action])
            case let .needContainer(user, request):
                do { try await ensureContainer(for: user) } catch {
                    deliver(router.failed(request, error: "\(error)"))
                    continue
                }
                deliver(router.resume(request))
            case let .writeWorkspace(request):
                do { try await workspace.write(session: sessionID) } catch {
                    deliver(router.failed(request, error: "\(error)"))
                    continue
                }
                deliver(router.resume(request))
            case let .leave(id):
                await leave(id)
            }
        }
    }

    /// Sends the router's messages (every router call but `received` returns only messages).
    private func deliver(_ actions: [DebugRouter.Action]) {
        for action in actions {
            switch action {
            case let .toDelve(message): relay?.write(MessageFramer.frame(message.serialized()))
            case let .toParticipant(id, message): senders[id]?(message)
            case .needContainer, .writeWorkspace, .leave: assertionFailure("only a participant's request waits: \(action)")
            }
        }
    }

    // MARK: The container and Delve

    /// Starts the container for `user` (who counts it against their cap) unless it runs.
    private func ensureContainer(for user: UUID) async throws {
        if process != nil { return }
        if ended { throw CancellationError() }   // e.g. the session was deleted
        if let starting {
            let started = try await starting.value
            if !ended { (process, relay) = started }   // else the first waiter has stopped it
            return
        }
        let tenant = SandboxTenant(session: sessionID, user: user)
        let task = Task { [sandbox, workspace, sessionID] in
            try await workspace.write(session: sessionID)
            return try await sandbox.startDebugRelay(workspace: workspace.root, tenant: tenant,
                                                     labels: [ContainerSpec.sessionLabel: sessionID.uuidString])
        }
        starting = task
        let result: (SandboxProcess, RelaySocket)
        do {
            result = try await task.value
        } catch {
            // Refused (e.g. the sandbox is busy) or failed: the next `initialize` tries afresh.
            if starting == task { starting = nil }
            throw error
        }
        let (started, socket) = result
        if ended {
            // The session ended (its last participant left) while the container was starting.
            socket.close()
            await started.kill(reason: .requested)
            throw CancellationError()
        }
        (process, relay) = (started, socket)
        pumping = Task { await self.pump(started, socket) }
    }

    private func pump(_ process: SandboxProcess, _ relay: RelaySocket) async {
        // Children: the relay's messages (true when they end) and, once the container's output
        // has ended, a deadline for them (false).
        await withTaskGroup(of: Bool.self) { group in
            // DAP from the relay's socket, a whole message at a time and bounded (RelaySocket): it
            // ends when the relay exits, or at the first thing that is not a DAP message within the
            // limits (RelaySocket.failure), which ends the debug session.
            group.addTask {
                for await content in relay.messages {
                    guard let message = try? JSONValue.parse(content) else { continue }
                    // The program's output counts against the container's output limit here, where
                    // it is read, as the attached stdio does below: past it, it is dropped and the
                    // container is killed (the end below says why).
                    if let bytes = DebugRouter.outputBytes(of: message), !process.noteOutput(bytes) { continue }
                    await self.fromDelve(message)
                }
                if let failure = relay.failure { await self.terminate("\(failure); the debug session ended") }
                return true
            }
            // The relay's own messages, and the container's end (this closure runs on the actor).
            for await chunk in process.stream.output {
                switch chunk {
                case let .stdout(data), let .stderr(data):
                    guard process.noteOutput(data.count) else { continue }
                    deliver(router.broadcast(["event": "output", "body": ["category": "console", "output": .string(String(decoding: data, as: UTF8.self))]]))
                }
            }
            // The relay has exited, so its socket ends once the last messages are read; a stray
            // holder of the socket gets 5 s.
            group.addTask {
                if (try? await Task.sleep(for: .seconds(5))) != nil { relay.close() }
                return false
            }
            // Once the messages have ended, the deadline is not needed.
            while let messagesEnded = await group.next(), !messagesEnded {}
            group.cancelAll()
        }
        let ending = await process.exited()
        logger.info("debug container ended", metadata: ["session": "\(sessionID)", "ending": "\(ending)"])
        if !ended {
            if case let .killed(reason) = ending {
                deliver(router.broadcast(["event": "output", "body": ["category": "important", "output": .string("Mesh: the debug container was \(reason)\n")]]))
            }
            deliver(router.broadcast(["event": "terminated"]))
            await end()
        }
    }

    private func fromDelve(_ message: JSONValue) {
        deliver(router.fromDelve(message))
    }

    /// Tells a participant that a message of theirs was not understood and dropped (it had no
    /// `seq` to answer): an `output` event the editor shows in its debug console.
    func refuse(_ reason: String, to id: UUID) {
        deliver(router.refuse(reason, to: id))
    }

    private func end() async {
        guard !ended else { return }
        ended = true
        // The hub forgets this debug session first: stopping the container takes a while (a
        // second or more), and a participant who starts debugging again meanwhile must get a
        // fresh debug session, not this ending one ("this debug session has ended; start
        // debugging again" — a browser's Debug pressed right after Stop or the program's end).
        await onEnd()
        if let process {
            deliver(router.disconnectDelve())
            await process.kill(reason: .requested)
        }
        starting?.cancel()
        // After the kill above: a pump that called end() (through terminate) is not cut short
        // before the container is stopped.
        pumping?.cancel()
        workspace.remove()
    }
}
