import AsyncHTTPClient
import Foundation
import MeshProtocol
import NIOCore
import NIOHTTP1

/// How a sandbox run ended.
public enum RunEnding: Sendable, Equatable {
    case exited(Int)
    case killed(String)
}

extension MeshAPIClient {
    /// A valid access token (refreshed when it has expired), for connections made outside
    /// this client (WebSockets, streamed responses).
    /// Valid for at least 30 s more (or freshly issued): a socket opened with a token about to
    /// expire would be refused at the upgrade, or closed at once.
    public func freshAccessToken() async throws -> String {
        _ = try await me()
        return try await accessToken(validFor: 30)
    }

    /// Builds and runs the session's current code in the server's sandbox, streaming its
    /// output to `output` (`stderr: true` for the program's stderr) as it comes.
    public func run(session: UUID, package: String, arguments: [String],
                    output: @Sendable (_ text: String, _ stderr: Bool) -> Void) async throws -> RunEnding {
        let token = try await freshAccessToken()
        var request = try makeRequest("/v1/sessions/\(session.uuidString)/run")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try MeshJSON.encoder().encode(RunRequest(package: package, args: arguments))))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .minutes(30))
        } catch {
            throw MeshAPIError.unreachable(server, error, tls: tls)
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Self.failure(status: Int(response.status.code), data: Data(body.readableBytesView))
        }
        var pending = Data()
        var ending: RunEnding?
        let decoder = JSONDecoder()
        for try await chunk in response.body {
            pending.append(contentsOf: chunk.readableBytesView)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                guard let event = try? decoder.decode(RunEvent.self, from: line) else { continue }
                switch event {
                case let .output(text, stderr): output(text, stderr)
                case .heartbeat: break
                case let .exited(code): ending = .exited(code)
                case let .killed(reason): ending = .killed(reason)
                }
            }
        }
        guard let ending else {
            throw MeshAPIError(status: 0, code: "bad_response", message: "the run ended without an exit status")
        }
        return ending
    }
}
