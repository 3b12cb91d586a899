import Foundation
import Hummingbird
import MeshProtocol
import MeshSandbox
import MeshStore
import NIOCore

/// `POST /v1/sessions/{session}/run`: builds and runs the session's current code in a sandbox
/// container and streams its output as NDJSON lines `{"stream":"stdout"|"stderr","data":…}`,
/// `{}` while the program is silent, ending with `{"exit":code}` or `{"killed":reason}`. A client
/// that goes away (a write fails) has its container stopped. The output is read only as fast as
/// the client takes it (the container's writes wait meanwhile), and counts against the output
/// limit as it is read.
struct RunController {
    let store: Store
    let hub: CollaborationHub
    let sandbox: Sandbox?
    let dataDirectory: String
    var access: SessionAccess { SessionAccess(store: store) }
    /// How often a silent run writes `{}`: a client that went away is noticed by the write.
    var heartbeat: Duration = .seconds(2)

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.post("sessions/:session/run", use: run)
    }

    @Sendable func run(_ request: Request, context: MeshRequestContext) async throws -> Response {
        let (user, session, _) = try await access.require(.editor, context)
        let runRequest = try await request.decode(as: RunRequest.self, context: context, upTo: Request.runBodyLimit)
        guard let sandbox else { throw ApiError.unavailable("the sandbox is disabled on this server") }
        let package = try Self.packagePath(runRequest.package ?? ".")
        let folder = try SessionWorkspace.create(in: dataDirectory)
        let workspace = SessionWorkspace(store: store, hub: hub, root: folder)
        let process: SandboxProcess
        do {
            try await workspace.write(session: session.id)
            process = try await sandbox.start(["/usr/local/bin/mesh-relay", "run", "/workspace/\(package)"] + (runRequest.args ?? []),
                                              workspace: folder, tenant: SandboxTenant(session: session.id, user: user.id), kind: .run,
                                              labels: [ContainerSpec.sessionLabel: session.id.uuidString],
                                              wallClock: sandbox.limits.runSeconds)
        } catch let error as SandboxError {
            workspace.remove()
            throw Self.apiError(error)
        } catch let error as DockerError {
            workspace.remove()
            throw ApiError.unavailable(error.description)
        } catch {
            workspace.remove()
            throw error
        }
        // The session may have been deleted (or the caller removed) after the access check and
        // before the container held its slot, where Sandbox.kill(session:) did not see it.
        do {
            _ = try await access.require(.editor, context, session: session.id)
        } catch {
            await process.kill(reason: .revoked)
            workspace.remove()
            throw error
        }
        process.stream.closeInput()
        let heartbeat = self.heartbeat
        let unstreamed = DropGuard {
            workspace.remove()
            process.stream.output.cancel()   // nobody reads it: its reader thread must not wait
            process.requestKill(reason: .requested)   // carried out by the process's own watcher
        }
        let output = ResponseBody { writer in
            unstreamed.disarm()
            defer { workspace.remove() }
            let chunks = process.stream.output
            // Whatever ends this, the container's output is not read any further.
            defer { chunks.cancel() }
            do {
                reading: while true {
                    switch await chunks.next(within: heartbeat) {
                    case let .element(chunk):
                        // Counted where it is read; past the limit it is dropped (and the
                        // container is being killed: its end says so).
                        guard process.noteOutput(chunk.count) else { continue }
                        let (name, data): (String, Data) = switch chunk {
                        case let .stdout(d): ("stdout", d)
                        case let .stderr(d): ("stderr", d)
                        }
                        try await writer.write(Self.line(.output(String(decoding: data, as: UTF8.self), stderr: name == "stderr")))
                    case .timedOut:
                        // Silent for a heartbeat: a client that went away is noticed by the write.
                        try await writer.write(Self.line(.heartbeat))
                    case .finished:
                        break reading
                    }
                }
                // Cancelled (the queue ends then too): the client is gone, the program stops.
                try Task.checkCancellation()
                switch await process.exited() {
                case let .exited(code): try await writer.write(Self.line(.exited(code)))
                case let .killed(reason): try await writer.write(Self.line(.killed(reason.rawValue)))
                }
            } catch {
                // The client went away: nobody reads the program's output any more.
                await process.kill(reason: .requested)
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: output)
    }

    /// The answer to a start the sandbox refused.
    static func apiError(_ error: SandboxError) -> ApiError {
        switch error {
        case .busy, .userBusy: ApiError(.tooManyRequests, .rateLimited, error.description)
        case .revoked: ApiError.conflict(error.description)
        }
    }

    /// One NDJSON line of the contract's `RunEvent`.
    static func line(_ event: RunEvent) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(event)) ?? Data("{}".utf8)
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }

    /// A package folder inside the workspace: relative, no `..`.
    static func packagePath(_ raw: String) throws -> String {
        let trimmed = raw.hasPrefix("./") ? String(raw.dropFirst(2)) : raw
        if trimmed == "." || trimmed.isEmpty { return "" }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: true)
        guard !trimmed.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0 == "." }) else {
            throw ApiError.badRequest("package must be a folder inside the session, like ./cmd/tool; \(raw) is not")
        }
        return parts.joined(separator: "/")
    }
}
