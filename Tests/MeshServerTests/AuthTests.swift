import Foundation
import JWTKit
import Testing
@testable import MeshServer

/// Accounts and tokens against a real server and database.
@Suite(.timeLimit(.minutes(5))) struct AuthTests {
    @Test(arguments: TestDatabase.allCases)
    func signupLoginRefreshRotationAndReuseDetection(database: TestDatabase) async throws {
        try await withServer(database) { server in
            let ada = try await server.signup("Ada")
            let me = try await server.request(.GET, "/v1/me", token: ada.accessToken)
            #expect(me.status == 200)
            #expect(me["displayName"] as? String == "Ada")

            let login = try await server.request(.POST, "/v1/auth/login", json: ["email": ada.email.uppercased(), "password": ada.password])
            #expect(login.status == 200, "login is case-insensitive in the email")
            let first = try #require(login["refreshToken"] as? String)

            let rotated = try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": first])
            #expect(rotated.status == 200)
            let second = try #require(rotated["refreshToken"] as? String)
            #expect(second != first)

            // Presenting the already-rotated token revokes the whole family, the new one too.
            let reuse = try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": first])
            #expect(reuse.status == 401)
            let afterReuse = try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": second])
            #expect(afterReuse.status == 401)

            // The signup family is unaffected; logout revokes it.
            let signupFamily = try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": ada.refreshToken])
            #expect(signupFamily.status == 200)
            let latest = try #require(signupFamily["refreshToken"] as? String)
            #expect(try await server.request(.POST, "/v1/auth/logout", json: ["refreshToken": latest]).status == 204)
            #expect(try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": latest]).status == 401)
        }
    }

    /// Invite codes and tokens go on command lines (`mesh join CODE`): none may look like an option.
    @Test func opaqueTokensNeverStartWithADash() {
        let tokens = (0..<5_000).map { _ in TokenService.newOpaqueToken().token }
        #expect(tokens.allSatisfy { !$0.hasPrefix("-") && $0.count == 43 })
        #expect(Set(tokens).count == tokens.count)
    }

    @Test func badSignupsAreRefusedClearly() async throws {
        try await withServer(.sqlite) { server in
            let ada = try await server.signup("Ada")
            let duplicate = try await server.request(.POST, "/v1/auth/signup",
                                                     json: ["email": ada.email.uppercased(), "displayName": "X", "password": "12345678"])
            #expect(duplicate.status == 409)
            #expect(duplicate["code"] as? String == "conflict")
            let short = try await server.request(.POST, "/v1/auth/signup", json: ["email": "a@b.co", "displayName": "X", "password": "short"])
            #expect(short.status == 400)
            #expect((short["message"] as? String)?.contains("8 characters") == true)
            let malformed = try await server.request(.POST, "/v1/auth/signup", raw: "{\"email\": ")
            #expect(malformed.status == 400)
            #expect(malformed["code"] as? String == "bad_request")
            let wrongType = try await server.request(.POST, "/v1/auth/signup", json: ["email": 5, "displayName": "X", "password": "12345678"])
            #expect(wrongType.status == 400)
            let badEmail = try await server.request(.POST, "/v1/auth/signup", json: ["email": "nobody", "displayName": "X", "password": "12345678"])
            #expect(badEmail.status == 400)
        }
    }

    /// Expired, tampered, `alg: none`, wrong-algorithm, wrong-audience and wrong-issuer tokens.
    @Test func forgedAndStaleTokensAreRefused() async throws {
        try await withServer(.sqlite) { server in
            let ada = try await server.signup("Ada")
            let secret = Array("test-secret-with-at-least-64-bytes-so-hs384-and-hs512-can-be-made!!".utf8)
            func token(alg: DigestAlgorithm = .sha256, iss: String = "mesh", aud: String = "mesh", exp: TimeInterval = 600) async throws -> String {
                let keys = JWTKeyCollection()
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: alg, kid: "mesh")
                let claims = AccessClaims(sub: .init(value: ada.id), iss: .init(value: iss), aud: .init(value: [aud]),
                                          exp: .init(value: Date().addingTimeInterval(exp)), iat: .init(value: Date()), name: "Ada")
                return try await keys.sign(claims, kid: "mesh")
            }
            func status(_ token: String) async throws -> Int {
                try await server.request(.GET, "/v1/me", token: token).status
            }
            #expect(try await status(try await token()) == 200, "a well-formed token passes")
            #expect(try await status(try await token(exp: -60)) == 401, "expired")
            #expect(try await status(try await token(aud: "elsewhere")) == 401, "wrong audience")
            #expect(try await status(try await token(iss: "evil")) == 401, "wrong issuer")
            #expect(try await status(try await token(alg: .sha384)) == 401, "HS384 with the right key")

            let parts = ada.accessToken.split(separator: ".").map(String.init)
            var payload = parts[1]
            payload.replaceSubrange(payload.startIndex...payload.startIndex, with: payload.first == "e" ? "f" : "e")
            #expect(try await status([parts[0], payload, parts[2]].joined(separator: ".")) == 401, "tampered payload")
            let none = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            #expect(try await status("\(none).\(parts[1]).") == 401, "alg none")
            #expect(try await status("garbage") == 401)
            let unauthenticated = try await server.request(.GET, "/v1/me")
            #expect(unauthenticated.status == 401)
            #expect(unauthenticated["code"] as? String == "unauthorized")
        }
    }

    @Test func failedLoginsAreThrottled() async throws {
        try await withServer(.sqlite) { server in
            let ada = try await server.signup("Ada")
            for _ in 0..<5 {
                let wrong = try await server.request(.POST, "/v1/auth/login", json: ["email": ada.email, "password": "wrong password"])
                #expect(wrong.status == 401)
            }
            let blocked = try await server.request(.POST, "/v1/auth/login", json: ["email": ada.email, "password": ada.password])
            #expect(blocked.status == 429, "even the right password waits once the account is throttled")
            #expect(blocked["code"] as? String == "rate_limited")
        }
    }

    /// Signing up as " Ada@Example.com " and logging in with a space, a line break or another
    /// case (a form or a paste adds them) is one account, under one rule (EmailAddress) for
    /// signup, login, the throttle, a profile update and the store. The bug: the login looked
    /// the email up as typed, so " ada@…" answered "wrong email or password".
    @Test(arguments: TestDatabase.allCases)
    func anEmailTypedWithSpacesAroundItLogsIntoItsAccount(database: TestDatabase) async throws {
        try await withServer(database) { server in
            let email = "Ada-\(UUID().uuidString.prefix(8))@Example.com", password = "correct horse battery"
            let signup = try await server.request(.POST, "/v1/auth/signup",
                                                  json: ["email": " \(email) ", "displayName": "Ada", "password": password])
            #expect(signup.status == 201, "\(signup.text)")
            #expect((signup["user"] as? [String: Any])?["email"] as? String == email, "kept without the spaces, as spelled")
            let token = try #require(signup["accessToken"] as? String)
            for typed in [email, " \(email)", "\(email.lowercased())\n", "\t\(email.uppercased()) "] {
                let login = try await server.request(.POST, "/v1/auth/login", json: ["email": typed, "password": password])
                #expect(login.status == 200, "\(typed.debugDescription): \(login.status) \(login.text)")
            }
            let twin = try await server.request(.POST, "/v1/auth/signup",
                                                json: ["email": "\n\(email.uppercased())", "displayName": "Twin", "password": password])
            #expect(twin.status == 409, "the same account: \(twin.text)")

            // The same email with other spaces and case is no change: kept, and not unverified.
            let same = try await server.request(.PATCH, "/v1/me", json: ["email": " \(email.lowercased()) "], token: token)
            #expect(same.status == 200)
            #expect(same["email"] as? String == email)

            // One account, one throttle: failures typed differently count together.
            for typed in [" \(email)", email.uppercased(), "\(email)\n", email.lowercased(), " \(email) "] {
                let wrong = try await server.request(.POST, "/v1/auth/login", json: ["email": typed, "password": "wrong password"])
                #expect(wrong.status == 401)
            }
            let blocked = try await server.request(.POST, "/v1/auth/login", json: ["email": email, "password": password])
            #expect(blocked.status == 429, "the five failures were one account's")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func passwordChangeRevokesOtherSessions(database: TestDatabase) async throws {
        try await withServer(database) { server in
            let ada = try await server.signup("Ada")
            let laptop = try await server.request(.POST, "/v1/auth/login", json: ["email": ada.email, "password": ada.password])
            let laptopRefresh = try #require(laptop["refreshToken"] as? String)
            let change = try await server.request(.POST, "/v1/me/password", json: [
                "currentPassword": ada.password, "newPassword": "a much better one", "refreshToken": ada.refreshToken,
            ], token: ada.accessToken)
            #expect(change.status == 204)
            #expect(try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": laptopRefresh]).status == 401)
            #expect(try await server.request(.POST, "/v1/auth/refresh", json: ["refreshToken": ada.refreshToken]).status == 200)
            #expect(try await server.request(.POST, "/v1/auth/login", json: ["email": ada.email, "password": ada.password]).status == 401)
            #expect(try await server.request(.POST, "/v1/auth/login", json: ["email": ada.email, "password": "a much better one"]).status == 200)
            let wrongCurrent = try await server.request(.POST, "/v1/me/password", json: [
                "currentPassword": "nope nope", "newPassword": "whatever123"], token: ada.accessToken)
            #expect(wrongCurrent.status == 403)
        }
    }

    @Test func emailVerificationThroughTheMailer() async throws {
        let mailer = CapturingMailer()
        try await withServer(.sqlite, mailer: mailer) { server in
            let ada = try await server.signup("Ada")
            let mail = try #require(await mailer.sent.last)
            #expect(mail.to == ada.email)
            let token = try #require(mail.body.split(separator: " ").first { $0.count > 30 }.map { String($0.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) })
            #expect(try await server.request(.POST, "/v1/auth/verify-email", json: ["token": "not-a-token"]).status == 400)
            #expect(try await server.request(.POST, "/v1/auth/verify-email", json: ["token": token]).status == 204)
            #expect(try await server.request(.GET, "/v1/me", token: ada.accessToken)["emailVerified"] as? Bool == true)
            #expect(try await server.request(.POST, "/v1/auth/verify-email", json: ["token": token]).status == 400, "single use")
            let renamed = try await server.request(.PATCH, "/v1/me", json: ["displayName": "Ada L."], token: ada.accessToken)
            #expect(renamed["displayName"] as? String == "Ada L.")
        }
    }
}

actor CapturingMailer: Mailer {
    struct Mail { var to: String; var subject: String; var body: String }
    private(set) var sent: [Mail] = []
    func send(to address: String, subject: String, body: String) async throws {
        sent.append(Mail(to: address, subject: subject, body: body))
    }
}
