import Foundation
import Testing
@testable import MeshServer

/// The browser client's server side (docs/web.md): the static page and modules with their
/// security headers, cookie login with double-submit CSRF and the Origin check, session rename.
@Suite(.timeLimit(.minutes(5))) struct WebClientTests {
    @Test func thePageAndItsModulesCarryTheSecurityHeaders() async throws {
        try await withServer(.sqlite) { server in
            let browser = WebBrowser(server)
            let page = try await browser.open()
            #expect(page.status == 200)
            #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(page.headers.first(name: "Content-Security-Policy") == WebPageController.contentSecurityPolicy)
            #expect(!WebPageController.contentSecurityPolicy.contains("unsafe-inline"))
            #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(page.headers.first(name: "X-Frame-Options") == "DENY")
            #expect(page.headers.first(name: "Referrer-Policy") == "no-referrer")
            #expect(page.headers.first(name: "Cross-Origin-Opener-Policy") == "same-origin")
            #expect(page.headers.first(name: "Cache-Control") == "no-store")
            #expect(page.text.contains("/web/app.js"))
            let csrfCookie = try #require(page.headers["Set-Cookie"].first { $0.hasPrefix("mesh_csrf=") })
            #expect(csrfCookie.contains("SameSite=Strict") && csrfCookie.contains("Path=/") && !csrfCookie.contains("HttpOnly"))
            #expect((browser.cookie("mesh_csrf")?.count ?? 0) >= 43, "32 random bytes, base64url")
            // A browser that has one keeps it.
            #expect(try await browser.open().headers["Set-Cookie"].isEmpty)

            let script = try await server.request(.GET, "/web/app.js")
            #expect(script.status == 200)
            #expect(script.headers.first(name: "Content-Type") == "text/javascript; charset=utf-8")
            #expect(script.headers.first(name: "Content-Security-Policy") == WebPageController.contentSecurityPolicy)
            #expect(script.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(script.headers.first(name: "Cache-Control") == "no-cache")
            let etag = try #require(script.headers.first(name: "ETag"))
            let again = try await server.request(.GET, "/web/app.js", headers: [("If-None-Match", etag)])
            #expect(again.status == 304)
            let style = try await server.request(.GET, "/web/style.css")
            #expect(style.status == 200 && style.headers.first(name: "Content-Type") == "text/css; charset=utf-8")

            // An invite link: the page for browsers, the text page for everyone else.
            let code = String(repeating: "A", count: 43)
            let html = try await browser.open("/join/\(code)")
            #expect(html.status == 200 && html.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(html.headers.first(name: "Content-Security-Policy") == WebPageController.contentSecurityPolicy)
            let text = try await server.request(.GET, "/join/\(code)")
            #expect(text.headers.first(name: "Content-Type") == "text/plain; charset=utf-8" && text.text.contains("mesh join"))
            let notACode = try await browser.open("/join/not.a.code")
            #expect(notACode.status == 404)
        }
    }

    /// Attack: read the server's own files through the static route.
    @Test func nothingOutsideTheClientIsServed() async throws {
        try await withServer(.sqlite) { server in
            for path in ["/web/../Package.swift", "/web/%2e%2e/Package.swift", "/web/%2e%2e%2fPackage.swift", "/web/..%2fPackage.swift",
                         "/web/APP.JS", "/web/App.js", "/web/package.json", "/web/index.html", "/web/app.js.map", "/web/app.JS",
                         "/web/.js", "/web/app", "/web/", "/web/app.js%00.css", "/web/main.swift"] {
                let response = try await server.request(.GET, path)
                #expect(response.status == 404, "\(path): \(response.status)")
                #expect(!response.text.contains("swift-tools-version") && !response.text.contains("\"type\":\"module\""), "\(path)")
            }
            #expect(WebAssets.isServable("app.js") && WebAssets.isServable("style.css"))
            #expect(!WebAssets.isServable("package.json") && !WebAssets.isServable("a.b.js") && !WebAssets.isServable("é.js"))
        }
    }

    /// Attack: a page on another site makes the victim's browser send a request with its cookies.
    @Test func cookieRequestsNeedTheCSRFHeaderAndAnAllowedOrigin() async throws {
        try await withServer(.sqlite) { server in
            let browser = WebBrowser(server)
            try await browser.open()
            let email = "ada-\(UUID().uuidString.prefix(6))@example.com"
            let signup = ["email": email, "displayName": "Ada", "password": "correct horse battery"]
            // The login routes need the header too (no login CSRF).
            let noHeader = try await browser.send(.POST, "/v1/auth/web/signup", json: signup, csrf: false)
            #expect(noHeader.status == 403 && noHeader["code"] as? String == "forbidden", "\(noHeader.text)")
            let wrong = try await browser.send(.POST, "/v1/auth/web/signup", json: signup, csrf: false,
                                               headers: [("X-Mesh-CSRF", String(repeating: "x", count: 43))])
            #expect(wrong.status == 403)
            let created = try await browser.send(.POST, "/v1/auth/web/signup", json: signup)
            #expect(created.status == 201, "\(created.text)")
            #expect((created["user"] as? [String: Any])?["displayName"] as? String == "Ada")
            #expect(created["expiresIn"] as? Int == 900 && created["accessToken"] == nil && created["refreshToken"] == nil)
            let access = try #require(created.headers["Set-Cookie"].first { $0.hasPrefix("mesh_access=") })
            #expect(access.contains("HttpOnly") && access.contains("SameSite=Strict") && access.contains("Path=/;") && access.contains("Max-Age=900"))
            let refresh = try #require(created.headers["Set-Cookie"].first { $0.hasPrefix("mesh_refresh=") })
            #expect(refresh.contains("HttpOnly") && refresh.contains("Path=/v1/auth/web") && !refresh.contains("Secure"))

            // Safe requests go by the cookie alone.
            #expect(try await browser.send(.GET, "/v1/me").status == 200)
            // Unsafe ones need the header, equal to the cookie, and no foreign Origin.
            let missing = try await browser.send(.POST, "/v1/sessions", json: ["name": "p"], csrf: false)
            #expect(missing.status == 403 && missing.text.contains("CSRF"))
            // One character changed (to one it is not: the cookie is random and may start with "0").
            let csrf = try #require(browser.cookie("mesh_csrf"))
            let tampered = (csrf.first == "0" ? "1" : "0") + String(csrf.dropFirst())
            let forged = try await browser.send(.POST, "/v1/sessions", json: ["name": "p"], csrf: false,
                                                headers: [("X-Mesh-CSRF", tampered)])
            #expect(forged.status == 403)
            let foreign = try await browser.send(.POST, "/v1/sessions", json: ["name": "p"], headers: [("Origin", "https://evil.example")])
            #expect(foreign.status == 403 && foreign.text.contains("origin"))
            let own = try await browser.send(.POST, "/v1/sessions", json: ["name": "p"], headers: [("Origin", server.baseURL)])
            #expect(own.status == 201, "\(own.text)")
            #expect(try await browser.send(.POST, "/v1/sessions", json: ["name": "q"]).status == 201, "no Origin: the header suffices")

            // A request with Authorization is judged by it alone: a bad one fails with a good cookie…
            let bad = try await browser.send(.GET, "/v1/me", headers: [("Authorization", "Bearer not.a.token")])
            #expect(bad.status == 401)
            // …and a good one needs no CSRF header (the CLI and editors are unchanged).
            let cli = try await server.signup("Cli")
            let bearer = try await server.request(.POST, "/v1/sessions", json: ["name": "cli"], token: cli.accessToken,
                                                  headers: [("Origin", "https://evil.example")])
            #expect(bearer.status == 201)
        }
    }

    @Test func refreshRotatesTheCookiesAndLogoutClearsThem() async throws {
        try await withServer(.sqlite) { server in
            let browser = WebBrowser(server)
            _ = try await browser.signup("Ada")
            let firstRefresh = try #require(browser.cookie("mesh_refresh"))
            let renewed = try await browser.send(.POST, "/v1/auth/web/refresh")
            #expect(renewed.status == 200 && renewed["user"] != nil && renewed["accessToken"] == nil, "\(renewed.text)")
            #expect(browser.cookie("mesh_refresh") != firstRefresh)
            #expect(try await browser.send(.GET, "/v1/me").status == 200)

            // A stolen, already used refresh cookie: 401, the cookies cleared, the family revoked.
            let thief = WebBrowser(server)
            thief.setCookie("mesh_csrf", browser.cookie("mesh_csrf"))
            thief.setCookie("mesh_refresh", firstRefresh)
            let reused = try await thief.send(.POST, "/v1/auth/web/refresh")
            #expect(reused.status == 401)
            #expect(reused.headers["Set-Cookie"].contains { $0.hasPrefix("mesh_access=;") && $0.contains("Max-Age=0") })
            #expect(try await browser.send(.POST, "/v1/auth/web/refresh").status == 401, "the whole family is revoked")

            // Log in again, then out: 204, both cookies cleared, the refresh cookie revoked.
            let other = WebBrowser(server)
            _ = try await other.signup("Bob")
            let refreshCookie = try #require(other.cookie("mesh_refresh"))
            let out = try await other.send(.POST, "/v1/auth/web/logout")
            #expect(out.status == 204 && other.cookie("mesh_access") == nil && other.cookie("mesh_refresh") == nil)
            other.setCookie("mesh_refresh", refreshCookie)
            #expect(try await other.send(.POST, "/v1/auth/web/refresh").status == 401)
        }
    }

    /// The cookie login and the token login share one throttle.
    @Test func failedWebLoginsCountTowardsTheLoginThrottle() async throws {
        try await withServer(.sqlite) { server in
            let ada = try await server.signup("Ada")
            let browser = WebBrowser(server)
            try await browser.open()
            for _ in 0..<5 {
                let failed = try await browser.send(.POST, "/v1/auth/web/login", json: ["email": ada.email, "password": "wrong password"])
                #expect(failed.status == 401)
            }
            let throttled = try await server.request(.POST, "/v1/auth/login", json: ["email": ada.email, "password": ada.password])
            #expect(throttled.status == 429, "\(throttled.text)")
            let web = try await browser.send(.POST, "/v1/auth/web/login", json: ["email": ada.email, "password": ada.password])
            #expect(web.status == 429)
        }
    }

    @Test func onlyTheOwnerRenamesASession() async throws {
        try await withServer(.sqlite) { server in
            let owner = try await server.signup("Owner")
            let editor = try await server.signup("Editor")
            let session = try await server.createSession(owner)
            try await server.addMember(editor, to: session, role: "editor", owner: owner)
            let renamed = try await server.request(.PATCH, "/v1/sessions/\(session)", json: ["name": "  renamed  "], token: owner.accessToken)
            #expect(renamed.status == 200 && renamed["name"] as? String == "renamed" && renamed["role"] as? String == "owner")
            #expect(try await server.request(.GET, "/v1/sessions/\(session)", token: editor.accessToken)["name"] as? String == "renamed")
            let byEditor = try await server.request(.PATCH, "/v1/sessions/\(session)", json: ["name": "mine"], token: editor.accessToken)
            #expect(byEditor.status == 403)
            let stranger = try await server.signup("Stranger")
            #expect(try await server.request(.PATCH, "/v1/sessions/\(session)", json: ["name": "x"], token: stranger.accessToken).status == 404)
            for name in ["", "a\u{202E}b", "two\nlines", String(repeating: "x", count: 201)] {
                let refused = try await server.request(.PATCH, "/v1/sessions/\(session)", json: ["name": name], token: owner.accessToken)
                #expect(refused.status == 400, "\(name.debugDescription)")
            }
        }
    }

    /// Hostile names come back as JSON strings, never as a page: every API answer is JSON.
    @Test func hostileNamesTravelAsJSONOnly() async throws {
        try await withServer(.sqlite) { server in
            let browser = WebBrowser(server)
            let hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"
            _ = try await browser.signup(hostile)
            let me = try await browser.send(.GET, "/v1/me")
            #expect(me.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            #expect(me["displayName"] as? String == hostile)
            let session = try await browser.send(.POST, "/v1/sessions", json: ["name": hostile])
            #expect(session.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            #expect(session["name"] as? String == hostile)
            let error = try await browser.send(.GET, "/v1/sessions/\(UUID().uuidString)")
            #expect(error.status == 404 && error.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            #expect(!(try await browser.open()).text.contains("alert"), "the page is static")
        }
    }
}
