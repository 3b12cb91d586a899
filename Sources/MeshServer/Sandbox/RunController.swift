import Foundation
import Hummingbird
import MeshSandbox
import MeshStore
import NIOCore

/// `POST /v1/sessions/{session}/run`: builds and runs the session's current code in a sandbox
/// container and streams its output as NDJSON lines `{"stream":"stdout"|"stderr","data":…}`,
/// ending with `{"exit":code}` or `{"killed":reason}`.
struct RunController {
    let store: Store
    let hub: CollaborationHub
    let sandbox: Sandbox?
    let dataDirectory: String
    var access: SessionAccess { SessionAccess(store: store) }

    struct RunRequest: Decodable {
        var package: String?
        var args: [String]?
    }

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.post("sessions/:session/run", use: run)
    }

    @Sendable func run(_ request: Request, context: MeshRequestContext) async throws -> Response {
        let (_, session, _) = try await access.require(.editor, context, session: try context.parameters.uuid("session"))
        let runRequest = try await request.decode(as: RunRequest.self, context: context)
        guard let sandbox else { throw ApiError.unavailable("the sandbox is disabled on this server") }
        let package = try Self.packagePath(runRequest.package ?? ".")
        let folder = try SessionWorkspace.create(in: dataDirectory)
        let workspace = SessionWorkspace(store: store, hub: hub, root: folder)
        let process: SandboxProcess
        do {
            try await workspace.write(session: session.id)
            process = try await sandbox.start(["/usr/local/bin/mesh-relay", "run", "/workspace/\(package)"] + (runRequest.args ?? []),
                                              workspace: folder, labels: ["dev.mesh.session": session.id.uuidString, "dev.mesh.kind": "run"],
                                              wallClock: sandbox.limits.runSeconds)
        } catch let error as DockerError {
            workspace.remove()
            throw ApiError.unavailable(error.description)
        } catch {
            workspace.remove()
            throw error
        }
        process.stream.closeInput()
        let output = ResponseBody { writer in
            defer { workspace.remove() }
            for await chunk in process.stream.output {
                let (name, data): (String, Data) = switch chunk {
                case let .stdout(d): ("stdout", d)
                case let .stderr(d): ("stderr", d)
                }
                guard process.noteOutput(data.count) else { break }
                try await writer.write(Self.line(["stream": name, "data": String(decoding: data, as: UTF8.self)]))
            }
            let ending = await process.exited()
            switch ending {
            case let .exited(code): try await writer.write(Self.line(["exit": code]))
            case let .killed(reason): try await writer.write(Self.line(["killed": reason.rawValue]))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: output)
    }

    static func line(_ object: [String: Any]) -> ByteBuffer {
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
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
