import AsyncHTTPClient
import Foundation
import MeshTestSupport
import NIOCore
import NIOHTTP1

/// A JSON response: status and the decoded body (nil when empty).
struct JSONResponse: Sendable {
    var status: Int
    var body: Data
    var headers: HTTPHeaders = [:]
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    var array: [[String: Any]]? { (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] }
    var text: String { String(decoding: body, as: UTF8.self) }
    subscript(key: String) -> Any? { json?[key] }
}

/// Anything tests can talk HTTP and WebSocket to: an in-process server or a `mesh serve` process.
protocol ServerEndpoint: Sendable {
    var baseURL: String { get }
    var port: Int { get }
}

extension TestServer: ServerEndpoint {}
extension MeshServerProcess: ServerEndpoint {}

extension ServerEndpoint {
    /// Sends a request with an optional JSON body (a dictionary, or raw text) and bearer token.
    func request(_ method: HTTPMethod, _ path: String, json: Any? = nil, raw: String? = nil,
                 token: String? = nil, headers: [(String, String)] = []) async throws -> JSONResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        } else if let raw {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: raw))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return JSONResponse(status: Int(response.status.code), body: Data(buffer: body), headers: response.headers)
    }

    /// The value of the unlabelled metric `name` (0 when it is not listed).
    func metric(_ name: String) async throws -> Double {
        let metrics = try await request(.GET, "/metrics").text
        for line in metrics.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1)) ?? 0
        }
        return 0
    }

    /// Polls `/metrics` until a line equal to `line` appears; false when `timeout` passes first.
    func waitForMetric(_ line: String, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        repeat {
            let metrics = try await request(.GET, "/metrics").text
            if metrics.split(separator: "\n").contains(where: { $0 == line }) { return true }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        return false
    }

    /// Signs up a user and returns (id, access token, refresh token).
    func signup(_ name: String, password: String = "correct horse battery") async throws -> TestUser {
        let email = "\(name.lowercased())-\(UUID().uuidString.prefix(8))@example.com"
        let response = try await request(.POST, "/v1/auth/signup",
                                         json: ["email": email, "displayName": name, "password": password])
        guard response.status == 201, let user = response["user"] as? [String: Any],
              let id = user["id"] as? String, let access = response["accessToken"] as? String,
              let refresh = response["refreshToken"] as? String
        else { throw TestSetupError("signup failed: \(response.status) \(response.text)") }
        return TestUser(id: id, name: name, email: email, password: password, accessToken: access, refreshToken: refresh)
    }

    /// Creates a session owned by `owner` and returns its id.
    func createSession(_ owner: TestUser, name: String = "demo") async throws -> String {
        let response = try await request(.POST, "/v1/sessions", json: ["name": name], token: owner.accessToken)
        guard response.status == 201, let id = response["id"] as? String else {
            throw TestSetupError("create session failed: \(response.status) \(response.text)")
        }
        return id
    }

    /// Adds `user` to the session with `role` through an invite.
    func addMember(_ user: TestUser, to session: String, role: String, owner: TestUser) async throws {
        let invite = try await request(.POST, "/v1/sessions/\(session)/invites", json: ["role": role], token: owner.accessToken)
        guard let code = invite["code"] as? String else { throw TestSetupError("invite failed: \(invite.text)") }
        let join = try await request(.POST, "/v1/invites/\(code)/join", token: user.accessToken)
        guard join.status == 200 else { throw TestSetupError("join failed: \(join.status) \(join.text)") }
    }
}

struct TestUser: Sendable {
    var id: String
    var name: String
    var email: String
    var password: String
    var accessToken: String
    var refreshToken: String
}
