import Foundation
import MeshProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `credentials.json` holds: the server last logged in to and, while logged in, the
/// account and its tokens.
public struct Credentials: Sendable, Hashable, Codable {
    public var server: String
    public var email: String?
    public var userID: UUID?
    public var displayName: String?
    public var accessToken: String?
    public var refreshToken: String?

    public init(server: String, email: String? = nil, userID: UUID? = nil, displayName: String? = nil,
                accessToken: String? = nil, refreshToken: String? = nil) {
        self.server = server; self.email = email; self.userID = userID; self.displayName = displayName
        self.accessToken = accessToken; self.refreshToken = refreshToken
    }

    /// The credentials a login, signup or refresh answered with.
    public init(server: String, tokens: TokenPair) {
        self.init(server: server, email: tokens.user.email, userID: tokens.user.id, displayName: tokens.user.displayName,
                  accessToken: tokens.accessToken, refreshToken: tokens.refreshToken)
    }

    /// Whether tokens are present.
    public var isLoggedIn: Bool { accessToken != nil || refreshToken != nil }

    /// The same server, logged out.
    public var loggedOut: Credentials { Credentials(server: server) }
}

/// The credential file `$MESH_HOME/credentials.json` (default `~/.config/mesh`): the directory
/// is mode 0700, the file 0600, and every write is atomic.
public struct CredentialStore: Sendable {
    /// The server used when neither `--server`, `MESH_SERVER` nor a remembered login names one.
    public static let defaultServer = "http://127.0.0.1:7420"

    public let directory: URL
    public var fileURL: URL { directory.appendingPathComponent("credentials.json") }

    public init(directory: URL) {
        self.directory = directory
    }

    /// The store in `$MESH_HOME`, else `~/.config/mesh`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let home = environment["MESH_HOME"], !home.isEmpty {
            directory = URL(fileURLWithPath: home, isDirectory: true)
        } else {
            let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            directory = URL(fileURLWithPath: user, isDirectory: true).appendingPathComponent(".config/mesh", isDirectory: true)
        }
    }

    /// The stored credentials, or nil when there is no file.
    public func load() throws -> Credentials? {
        guard let data = try? Data(contentsOf: fileURL) else { return nil }
        do {
            return try JSONDecoder().decode(Credentials.self, from: data)
        } catch {
            throw CredentialStoreError("\(fileURL.path) is damaged (\(error)); delete it and log in again")
        }
    }

    /// Writes the credentials atomically (a 0600 temporary file renamed over the old one).
    public func save(_ credentials: Credentials) throws {
        try ensureDirectory()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(credentials)
        let temporary = directory.appendingPathComponent(".credentials-\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw CredentialStoreError("cannot write \(temporary.path): \(Self.errnoText())") }
        var ok = data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
        ok = ok && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        let reason = Self.errnoText()
        close(fd)
        guard ok, rename(temporary.path, fileURL.path) == 0 else {
            let failure = ok ? Self.errnoText() : reason
            unlink(temporary.path)
            throw CredentialStoreError("cannot write \(fileURL.path): \(failure)")
        }
    }

    /// Removes the file; no error when it does not exist.
    public func delete() throws {
        if unlink(fileURL.path) != 0, errno != ENOENT {
            throw CredentialStoreError("cannot delete \(fileURL.path): \(Self.errnoText())")
        }
    }

    /// The server to talk to: `flag` (`--server`), else `MESH_SERVER`, else the remembered one,
    /// else ``defaultServer``. Trailing slashes are dropped.
    public func server(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let remembered = (try? load())?.server
        let chosen = [flag, environment["MESH_SERVER"], remembered].compactMap { $0 }.first { !$0.isEmpty }
        return Self.normalize(chosen ?? Self.defaultServer)
    }

    /// A server URL without trailing slashes.
    public static func normalize(_ server: String) -> String {
        var server = server.trimmingCharacters(in: .whitespaces)
        while server.hasSuffix("/") { server.removeLast() }
        return server
    }

    private func ensureDirectory() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CredentialStoreError("\(directory.path) is not a directory") }
            return
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        guard chmod(directory.path, 0o700) == 0 else {
            throw CredentialStoreError("cannot set the mode of \(directory.path): \(Self.errnoText())")
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// A credential file that cannot be read or written.
public struct CredentialStoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
