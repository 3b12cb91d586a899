import Hummingbird

/// The browser's login: with no `Authorization` header (a request with one is judged by it
/// alone, in ``BearerAuthMiddleware``), a `mesh_access` cookie that verifies puts its user in the
/// context. An unsafe request so authenticated must pass ``CSRFPolicy`` (else 403). A cookie
/// that does not verify is ignored: the route answers as to anyone without a login.
///
/// The WebSockets never take a cookie's user (``MeshRequestContext/authenticatedByCookie``): a
/// browser sends cookies with a cross-site upgrade too.
struct CookieAuthMiddleware: RouterMiddleware {
    let tokens: TokenService
    let csrf: CSRFPolicy

    func handle(_ request: Request, context: MeshRequestContext,
                next: (Request, MeshRequestContext) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] == nil, context.user == nil,
              let token = WebCookies.value(WebCookies.access, in: request),
              let user = await tokens.verify(token)
        else { return try await next(request, context) }
        if !CSRFPolicy.isSafe(request.method) { try csrf.check(request) }
        var context = context
        context.user = user
        context.authenticatedByCookie = true
        return try await next(request, context)
    }
}
