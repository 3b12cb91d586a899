import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1

/// A browser as the server sees it: a cookie jar filled from `Set-Cookie`, and `X-Mesh-CSRF`
/// (the `mesh_csrf` cookie's value) on every unsafe request, as the web client's api.js sends.
final class WebBrowser: Sendable {
    let server: TestServer
    private let jar = NIOLockedValueBox<[String: String]>([:])

    init(_ server: TestServer) { self.server = server }

    func cookie(_ name: String) -> String? { jar.withLockedValue { $0[name] } }
    func setCookie(_ name: String, _ value: String?) { jar.withLockedValue { $0[name] = value } }

    /// Loads the page, which sets the CSRF cookie.
    @discardableResult
    func open(_ path: String = "/") async throws -> JSONResponse {
        try await send(.GET, path, headers: [("Accept", "text/html,application/xhtml+xml")])
    }

    /// A request with the jar's cookies; `csrf` false leaves the header out.
    func send(_ method: HTTPMethod, _ path: String, json: Any? = nil, csrf: Bool = true,
              headers: [(String, String)] = []) async throws -> JSONResponse {
        var all = headers
        let cookies = jar.withLockedValue { $0.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if !cookies.isEmpty { all.append(("Cookie", cookies)) }
        if csrf, method != .GET, let value = cookie("mesh_csrf") { all.append(("X-Mesh-CSRF", value)) }
        let response = try await server.request(method, path, json: json, headers: all)
        absorb(response.headers["Set-Cookie"])
        return response
    }

    /// Takes `Set-Cookie` values into the jar; `Max-Age=0` deletes.
    func absorb(_ setCookies: [String]) {
        for header in setCookies {
            let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            setCookie(name, parts.contains("Max-Age=0") || value.isEmpty ? nil : value)
        }
    }

    /// Opens the page and signs up through `/v1/auth/web/signup`; returns the user's id.
    func signup(_ name: String, password: String = "correct horse battery") async throws -> String {
        if cookie("mesh_csrf") == nil { try await open() }
        let email = "\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let response = try await send(.POST, "/v1/auth/web/signup", json: ["email": email, "displayName": name, "password": password])
        guard response.status == 201, let user = response["user"] as? [String: Any], let id = user["id"] as? String else {
            throw TestSetupError("web signup failed: \(response.status) \(response.text)")
        }
        return id
    }

    /// A ticket for `/v1/ws` in `session`.
    func ticket(_ session: String) async throws -> String {
        let response = try await send(.POST, "/v1/ws-ticket", json: ["session": session])
        guard response.status == 201, let ticket = response["ticket"] as? String else {
            throw TestSetupError("ticket failed: \(response.status) \(response.text)")
        }
        return ticket
    }
}
