import Foundation
import HTTPTypes
import Hummingbird

/// The browser client: `GET /` (and `/join/{code}` for browsers, through
/// ``InvitePageController``) answers `index.html`, `GET /web/{file}` its modules and style
/// sheet, all with a strict Content-Security-Policy and the other headers docs/web.md lists.
/// The HTML pages set the `mesh_csrf` cookie when the browser has none.
struct WebPageController {
    let assets: WebAssets
    let cookies: WebCookies

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static let securityHeaders: HTTPFields = {
        var headers = HTTPFields()
        headers[HTTPField.Name("Content-Security-Policy")!] = WebPageController.contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        return headers
    }()

    func addRoutes(to router: Router<MeshRequestContext>) {
        router.get("/", use: index)
        router.get("web/:file", use: file)
    }

    @Sendable func index(_ request: Request, context: MeshRequestContext) async throws -> Response {
        try page(request, context)
    }

    /// `index.html`, never cached (it names the modules), with a CSRF cookie when there is none.
    func page(_ request: Request, _ context: MeshRequestContext) throws -> Response {
        guard let index = assets.index else { throw ApiError.notFound("the web client is not bundled with this server") }
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        if WebCookies.value(WebCookies.csrf, in: request) == nil {
            headers.append(HTTPField(name: .setCookie, value: cookies.newCSRF(secure: cookies.isSecure(request, context))))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: index))
    }

    /// A module or style sheet by its exact name; anything else (`..`, `%2e%2e`, capitals,
    /// `package.json`) is the JSON 404. Revalidated on every use (`no-cache` with an ETag).
    @Sendable func file(_ request: Request, context: MeshRequestContext) async throws -> Response {
        let name = try context.parameters.require("file")
        guard WebAssets.isServable(name), let asset = assets.files[name] else { throw ApiError.notFound("no such file") }
        var headers = Self.securityHeaders
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = asset.etag
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }

    /// Whether a request is a browser's navigation (it accepts HTML).
    static func wantsHTML(_ request: Request) -> Bool {
        request.headers[values: .accept].contains { $0.lowercased().contains("text/html") }
    }
}
