import Foundation
import Testing
@testable import MeshClient

@Suite struct CredentialStoreTests {
    static func temporaryHome() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("mesh-home-\(UUID().uuidString)/mesh")
    }

    static func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func roundTripWithPrivateModes() throws {
        let home = Self.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home.deletingLastPathComponent()) }
        let store = CredentialStore(environment: ["MESH_HOME": home.path])
        #expect(store.directory.path == home.path)
        #expect(try store.load() == nil)
        let credentials = Credentials(server: "http://example.test:7420", email: "ada@example.test", userID: UUID(),
                                      displayName: "Ada", accessToken: "access", refreshToken: "refresh")
        try store.save(credentials)
        #expect(try Self.mode(home) == 0o700)
        #expect(try Self.mode(store.fileURL) == 0o600)
        #expect(try store.load() == credentials)

        // Overwriting stays atomic and private, and leaves no temporary files behind.
        try store.save(credentials.loggedOut)
        #expect(try Self.mode(store.fileURL) == 0o600)
        #expect(try store.load() == Credentials(server: "http://example.test:7420"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path) == ["credentials.json"])

        try store.delete()
        #expect(try store.load() == nil)
        try store.delete()
    }

    @Test func defaultDirectoryAndServerChoice() throws {
        #expect(CredentialStore(environment: ["HOME": "/home/ada"]).directory.path == "/home/ada/.config/mesh")
        let home = Self.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home.deletingLastPathComponent()) }
        let store = CredentialStore(directory: home)
        #expect(store.server(flag: nil, environment: [:]) == CredentialStore.defaultServer)
        try store.save(Credentials(server: "http://remembered:1"))
        #expect(store.server(flag: nil, environment: [:]) == "http://remembered:1")
        #expect(store.server(flag: nil, environment: ["MESH_SERVER": "http://env:2/"]) == "http://env:2")
        #expect(store.server(flag: "http://flag:3//", environment: ["MESH_SERVER": "http://env:2"]) == "http://flag:3")
    }

    @Test func damagedFileIsReported() throws {
        let home = Self.temporaryHome()
        defer { try? FileManager.default.removeItem(at: home.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let store = CredentialStore(directory: home)
        try Data("not json".utf8).write(to: store.fileURL)
        #expect(throws: CredentialStoreError.self) { try store.load() }
    }
}
