import Hummingbird

/// Reads `Authorization: Bearer <access token>` and, when the token verifies, puts the user in
/// the context. A present but invalid token is refused at once (401) rather than ignored.
struct BearerAuthMiddleware: RouterMiddleware {
    let tokens: TokenService

    func handle(_ request: Request, context: MeshRequestContext,
                next: (Request, MeshRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer "),
                  let user = await tokens.verify(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            else { throw ApiError.unauthorized("invalid or expired access token") }
            context.user = user
        }
        return try await next(request, context)
    }
}
