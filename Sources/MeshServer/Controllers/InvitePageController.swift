import Foundation
import HTTPTypes
import Hummingbird
import MeshProtocol

/// `GET /join/{code}`: an invite link (`<server>/join/<code>`, see ``InviteLink``) opened in a
/// browser gets the web client (which joins after a login), any other client a short text page
/// saying how to join, rather than a 404. Neither looks the invite up nor uses it, so they tell
/// nothing about which codes exist.
struct InvitePageController {
    /// Whether the request came over https (the server's TLS, or a trusted proxy's
    /// `X-Forwarded-Proto`): the link's scheme.
    let scheme: RequestScheme
    /// The web client's page, for requests that accept HTML (nil: the text page for everyone).
    var web: WebPageController? = nil

    func addRoutes(to router: Router<MeshRequestContext>) {
        router.get("join/:code", use: page)
    }

    @Sendable func page(_ request: Request, context: MeshRequestContext) async throws -> Response {
        let code = try context.parameters.require("code")
        guard InviteLink.isValidCode(code) else { throw ApiError.notFound("not an invite link") }
        if let web, WebPageController.wantsHTML(request) { return try web.page(request, context) }
        let url = Self.link(host: request.head.authority, https: scheme.isHTTPS(request, context), code: code)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.text(url: url, code: code))))
    }

    /// The link as this request reached the server, when its `Host` is a plain host[:port];
    /// else nil (the page then names the address bar instead).
    static func link(host: String?, https: Bool, code: String) -> String? {
        guard let host, !host.isEmpty, host.count <= 255,
              host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || ".-:[]".contains($0) })
        else { return nil }
        return InviteLink(server: "\(https ? "https" : "http")://\(host)", code: code).url
    }

    static func text(url: String?, code: String) -> String {
        var lines = [
            "This is a Mesh invite.",
            "",
            "To join the session, run this in a terminal, in the folder to write the session's files into:",
            "",
            "    mesh join \(url ?? "<the address of this page>")",
            "",
        ]
        if url != nil { lines.append("(that is the address of this page; behind a proxy, use the one in your browser's address bar)") }
        lines += [
            "With no account on this server yet, mesh join offers to sign up or log in first.",
            "Someone already logged in to this server can also use the code alone: mesh join \(code)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
