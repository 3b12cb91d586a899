import Foundation
import HTTPTypes
import Hummingbird
import MeshProtocol

/// `/v1/auth/web/*`: the browser's login, with the rules, throttles and limits of the token
/// routes (it calls ``AuthController``'s own code), answering `{"user", "expiresIn"}` and
/// keeping the tokens in `HttpOnly` cookies (``WebCookies``). Every route needs the CSRF header.
struct WebAuthController {
    let auth: AuthController
    let cookies: WebCookies
    let csrf: CSRFPolicy

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.post("auth/web/signup", use: signup)
        group.post("auth/web/login", use: login)
        group.post("auth/web/refresh", use: refresh)
        group.post("auth/web/logout", use: logout)
    }

    @Sendable func signup(_ request: Request, context: MeshRequestContext) async throws -> Response {
        try csrf.check(request)
        let body = try await request.decodeSmall(as: SignupRequest.self, context: context)
        return try loggedIn(try await auth.createAccount(body, request, context), status: .created, request, context)
    }

    @Sendable func login(_ request: Request, context: MeshRequestContext) async throws -> Response {
        try csrf.check(request)
        let body = try await request.decodeSmall(as: LoginRequest.self, context: context)
        return try loggedIn(try await auth.logIn(body, request, context), status: .ok, request, context)
    }

    /// Rotates the refresh cookie (a reused one revokes its family, as `/v1/auth/refresh` does);
    /// a refusal clears both cookies, so the page shows the login.
    @Sendable func refresh(_ request: Request, context: MeshRequestContext) async throws -> Response {
        try csrf.check(request)
        let secure = cookies.isSecure(request, context)
        do {
            guard let token = WebCookies.value(WebCookies.refresh, in: request) else {
                throw ApiError.unauthorized("no refresh cookie: log in")
            }
            return try loggedIn(try await auth.rotate(token, context: context), status: .ok, request, context)
        } catch let error as ApiError where error.status == .unauthorized {
            return try Self.json(error.status, error.body, setting: cookies.logout(secure: secure), context)
        }
    }

    /// Revokes the refresh cookie's family, closes the user's sockets and clears both cookies.
    @Sendable func logout(_ request: Request, context: MeshRequestContext) async throws -> Response {
        try csrf.check(request)
        if let token = WebCookies.value(WebCookies.refresh, in: request) { try await auth.revoke(token) }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        for cookie in cookies.logout(secure: cookies.isSecure(request, context)) {
            headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        return Response(status: .noContent, headers: headers)
    }

    private func loggedIn(_ pair: TokenPair, status: HTTPResponse.Status, _ request: Request,
                          _ context: MeshRequestContext) throws -> Response {
        try Self.json(status, WebLogin(user: pair.user, expiresIn: pair.expiresIn),
                      setting: cookies.login(pair, secure: cookies.isSecure(request, context)), context)
    }

    /// A JSON answer that is never cached, with `Set-Cookie` fields.
    static func json(_ status: HTTPResponse.Status, _ body: some Encodable, setting cookies: [String],
                     _ context: MeshRequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        let data = try context.responseEncoder.encode(body)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
