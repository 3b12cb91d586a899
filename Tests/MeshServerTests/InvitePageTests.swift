import Foundation
import Testing
@testable import MeshServer

/// `GET /join/{code}`: an invite link opened in a browser says how to join, without using the
/// invite (or telling whether it exists).
@Suite(.timeLimit(.minutes(5))) struct InvitePageTests {
    @Test func aLinkOpenedInABrowserSaysHowToJoin() async throws {
        try await withServer(.sqlite) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let invite = try await server.request(.POST, "/v1/sessions/\(session)/invites", json: ["role": "viewer"], token: owner.accessToken)
            let code = try #require(invite["code"] as? String)

            let page = try await server.request(.GET, "/join/\(code)")
            #expect(page.status == 200)
            #expect(page.text.contains("mesh join \(server.baseURL)/join/\(code)"), "\(page.text)")
            #expect(page.text.contains("mesh join \(code)"), "\(page.text)")
            // A code that exists nowhere gets the same page: the page is no oracle.
            let unknown = try await server.request(.GET, "/join/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            #expect(unknown.status == 200)

            // The invite was neither used nor revoked.
            let invites = try await server.request(.GET, "/v1/sessions/\(session)/invites", token: owner.accessToken)
            #expect(invites.array?.first?["uses"] as? Int == 0)
            #expect(invites.array?.first?["revoked"] as? Bool == false)

            // Not a code at all: the JSON 404.
            let bad = try await server.request(.GET, "/join/not.a.code")
            #expect(bad.status == 404 && bad["code"] as? String == "not_found", "\(bad.text)")
        }
    }

    /// `X-Forwarded-Proto: https` makes the link https only from a trusted proxy, the rule the
    /// cookies' `Secure` follows (one RequestScheme). The bug: the page believed the header from
    /// anyone, and ignored the server's own TLS (`TLSServeTests.theInvitePageOverTLSNamesAnHttpsLink`).
    @Test func aForwardedProtoFromAnUntrustedPeerDoesNotMakeTheLinkHTTPS() async throws {
        let code = String(repeating: "A", count: 43)
        try await withServer(.sqlite) { server in
            let forged = try await server.request(.GET, "/join/\(code)", headers: [("X-Forwarded-Proto", "https")])
            #expect(forged.text.contains("mesh join http://127.0.0.1:\(server.port)/join/\(code)"), "\(forged.text)")
        }
        try await withServer(.sqlite, configure: { $0.auth.trustedProxies = ["127.0.0.1", "::1"] }) { server in
            // Behind a trusted TLS proxy the link is https.
            let proxied = try await server.request(.GET, "/join/\(code)", headers: [("X-Forwarded-Proto", "https")])
            #expect(proxied.text.contains("mesh join https://127.0.0.1:\(server.port)/join/\(code)"), "\(proxied.text)")
            let plain = try await server.request(.GET, "/join/\(code)")
            #expect(plain.text.contains("mesh join http://127.0.0.1:\(server.port)/join/\(code)"), "\(plain.text)")
        }
    }

    @Test func aHostileHostIsNotEchoed() {
        #expect(InvitePageController.link(host: "evil.test\r\nX: y", https: false, code: "abc") == nil)
        #expect(InvitePageController.link(host: "<script>", https: false, code: "abc") == nil)
        #expect(InvitePageController.link(host: nil, https: false, code: "abc") == nil)
        #expect(InvitePageController.link(host: "mesh.example.test:8443", https: true, code: "abc") == "https://mesh.example.test:8443/join/abc")
        #expect(InvitePageController.text(url: nil, code: "abc").contains("mesh join <the address of this page>"))
    }
}
