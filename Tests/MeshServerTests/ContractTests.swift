import Foundation
import MeshProtocol
import Testing
@testable import MeshServer

/// docs/openapi.yaml and the Swift contract types name the same JSON keys: a field added on one
/// side only fails here. Every schema in `components/schemas` is a Swift type below (or `Role`,
/// checked against `Role.allCases`).
@Suite struct ContractTests {
    static let cases: [ContractCase] = {
        let user = UserProfile(id: UUID(), email: "ada@example.test", displayName: "Ada", emailVerified: true)
        let session = SessionInfo(id: UUID(), name: "project", ownerID: UUID(), role: .owner, createdAt: Date())
        return [
            // REST errors are the socket's ErrorMessage without `ref` and `path`, which only the socket sets.
            ContractCase("Error", ErrorMessage(.badRequest, "bad")),
            ContractCase("Health", HealthController.Health(status: "unavailable", database: "sqlite", error: "down")),
            ContractCase("User", user),
            ContractCase("TokenPair", TokenPair(user: user, accessToken: "jwt", refreshToken: "opaque", expiresIn: 900)),
            ContractCase("SignupRequest", SignupRequest(email: "ada@example.test", displayName: "Ada", password: "correct horse")),
            ContractCase("LoginRequest", LoginRequest(email: "ada@example.test", password: "correct horse")),
            ContractCase("RefreshRequest", RefreshRequest(refreshToken: "opaque")),
            ContractCase("VerifyEmailRequest", VerifyEmailRequest(token: "mailed")),
            ContractCase("ProfileUpdate", ProfileUpdate(displayName: "Ada L.", email: "ada@example.test")),
            ContractCase("PasswordChange", PasswordChange(currentPassword: "old password", newPassword: "new password", refreshToken: "opaque")),
            ContractCase("Session", session),
            ContractCase("Member", MemberInfo(userID: UUID(), displayName: "Ada", email: "ada@example.test", role: .editor, online: true)),
            ContractCase("Invite", InviteInfo(code: "code", sessionID: UUID(), role: .viewer, expiresAt: Date(), maxUses: 10, uses: 1, revoked: false)),
            ContractCase("JoinResult", JoinResult(session: session)),
            ContractCase("CreateSessionRequest", SessionNameRequest(name: "project")),
            ContractCase("RenameSessionRequest", SessionNameRequest(name: "renamed")),
            ContractCase("WebLogin", WebLogin(user: user, expiresIn: 900)),
            ContractCase("WebSocketTicketRequest", WebSocketTicketRequest(session: UUID())),
            ContractCase("WebSocketTicket", WebSocketTicket(ticket: "opaque", expiresIn: 30)),
            ContractCase("RoleRequest", RoleRequest(role: .viewer)),
            ContractCase("CreateInviteRequest", CreateInviteRequest(role: .viewer, expiresInSeconds: 3600, maxUses: 3)),
            ContractCase("Document", DocumentInfo(id: UUID(), path: "main.go", revision: 4, size: 12, updatedAt: Date())),
            ContractCase("DocumentContent", DocumentContent(id: UUID(), path: "main.go", revision: 4, text: "package main")),
            ContractCase("CreateDocumentRequest", CreateDocumentRequest(path: "main.go", text: "package main")),
            ContractCase("RenameDocumentRequest", RenameDocumentRequest(path: "cmd/main.go")),
            ContractCase("RunRequest", RunRequest(package: "./cmd/tool", args: ["-v"])),
            ContractCase("RunEvent", RunEvent.output("hi", stderr: true), .heartbeat, .exited(0), .killed("timeout")),
            ContractCase("DebugHello", DebugHello(session: UUID(), root: "/home/ada/project"), DebugHello(session: UUID(), root: nil, ticket: "opaque")),
            ContractCase("DebugWelcome", DebugWelcome(role: .editor, tokenExpiresAt: 1_700_000_000, maxFrameBytes: 1 << 20)),
            ContractCase("DebugAuth", DebugAuth(token: "jwt"), DebugAuth(ticket: "opaque")),
            ContractCase("DebugAuthenticated", DebugAuthenticated(expiresAt: 1_700_000_000)),
        ]
    }()

    static func schemas() throws -> [String: OpenAPISchema] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        return OpenAPISchema.all(in: try String(contentsOf: docs, encoding: .utf8))
    }

    @Test func everySchemaIsAContractType() throws {
        let documented = Set(try Self.schemas().keys)
        #expect(documented.count >= Self.cases.count, "the schemas were read: \(documented.sorted())")
        let typed = Set(Self.cases.map { $0.schema }).union(["Role"])
        #expect(documented.subtracting(typed).isEmpty, "schemas with no Swift type in ContractTests: \(documented.subtracting(typed).sorted())")
        #expect(typed.subtracting(documented).isEmpty, "contract types with no schema: \(typed.subtracting(documented).sorted())")
    }

    @Test(arguments: ContractTests.cases)
    func schemaPropertiesAreTheKeysTheTypeWrites(_ contract: ContractCase) throws {
        let schema = try #require(try Self.schemas()[contract.schema], "no schema \(contract.schema) in docs/openapi.yaml")
        let objects = try contract.objects()
        let written = objects.reduce(into: Set<String>()) { $0.formUnion($1.keys) }
        #expect(written == schema.properties,
                "\(contract.schema): only in Swift \(written.subtracting(schema.properties).sorted()), only in openapi.yaml \(schema.properties.subtracting(written).sorted())")
        // Where the schema lists `required`, the Swift type requires exactly those: it decodes
        // from them alone and not without any one of them.
        guard !schema.required.isEmpty, let sample = objects.first else { return }
        #expect(contract.decodes(sample.filter { schema.required.contains($0.key) }),
                "\(contract.schema) needs more than openapi.yaml's required \(schema.required.sorted())")
        for key in schema.required.sorted() {
            #expect(!contract.decodes(sample.filter { $0.key != key }), "\(contract.schema) decodes without \(key), which openapi.yaml requires")
        }
    }

    @Test func roleSchemaListsTheRoles() throws {
        let role = try #require(try Self.schemas()["Role"])
        #expect(Set(role.enumValues) == Set(Role.allCases.map { $0.rawValue }))
    }
}

/// A contract type and its schema's name: samples with every optional field set, so that every
/// key the type writes appears (the keys of several samples are united: each RunEvent case
/// writes its own), and whether a JSON object decodes as the type.
struct ContractCase: Sendable, CustomTestStringConvertible {
    let schema: String
    /// The samples as the server writes them (ISO-8601 dates), as JSON objects.
    let objects: @Sendable () throws -> [[String: Any]]
    let decodes: @Sendable (_ object: [String: Any]) -> Bool
    var testDescription: String { schema }

    init<T: Codable & Sendable>(_ schema: String, _ samples: T...) {
        self.schema = schema
        objects = {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            return try samples.map { sample in
                let json = try JSONSerialization.jsonObject(with: try encoder.encode(sample))
                guard let object = json as? [String: Any] else { throw ContractError("\(schema) does not encode as an object") }
                return object
            }
        }
        decodes = { object in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            guard let data = try? JSONSerialization.data(withJSONObject: object) else { return false }
            return (try? decoder.decode(T.self, from: data)) != nil
        }
    }
}

struct ContractError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
