import AsyncHTTPClient
import Foundation
import MeshProtocol
import NIOCore
import NIOHTTP1

/// An async client of the Mesh REST API (`openapi.yaml`).
///
/// It holds the login: signup, login and refresh store the new tokens (through the
/// ``CredentialStore`` when one is given); when an authorized call answers 401 and a refresh
/// token is known, the client rotates the tokens once and retries the call.
public actor MeshAPIClient {
    /// The server's base URL, without a trailing slash.
    public nonisolated let server: String
    /// The current login, if any.
    public private(set) var credentials: Credentials?
    private let store: CredentialStore?
    let http: HTTPClient
    /// How an `https://` server's certificate is checked.
    public nonisolated let tls: ClientTLS
    private let timeout: TimeAmount
    private var refreshing: Task<Credentials, any Error>?

    /// An HTTP client that fails at once when the server refuses the connection, instead of
    /// retrying until the connect timeout. Never shut down (like `HTTPClient.shared`).
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// - Parameters:
    ///   - server: base URL such as `http://127.0.0.1:7420`.
    ///   - credentials: the login to use; a login made for another server is dropped, so that
    ///     no caller can hand one server's tokens to another.
    ///   - store: where rotated tokens are written; nil keeps them in memory only.
    ///   - tls: the trust for an `https://` server (default: `--ca-file`, `$MESH_CA_FILE`, the system's).
    public init(server: String, credentials: Credentials? = nil, store: CredentialStore? = nil,
                httpClient: HTTPClient = MeshAPIClient.sharedHTTPClient, tls: ClientTLS = .default,
                timeout: Duration = .seconds(120)) {
        let server = CredentialStore.normalize(server)
        self.server = server
        self.credentials = credentials.flatMap { CredentialStore.normalize($0.server) == server ? $0 : nil }
        self.store = store
        self.http = httpClient
        self.tls = tls
        let (seconds, attoseconds) = timeout.components
        self.timeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: Accounts

    /// Creates an account and logs in as it.
    public func signup(email: String, displayName: String, password: String) async throws -> TokenPair {
        let tokens: TokenPair = try await call(.POST, "/v1/auth/signup",
                                               body: SignupRequest(email: email, displayName: displayName, password: password),
                                               authorized: false)
        try remember(Credentials(server: server, tokens: tokens))
        return tokens
    }

    /// Logs in with email and password.
    public func login(email: String, password: String) async throws -> TokenPair {
        let tokens: TokenPair = try await call(.POST, "/v1/auth/login", body: LoginRequest(email: email, password: password),
                                               authorized: false)
        try remember(Credentials(server: server, tokens: tokens))
        return tokens
    }

    /// Rotates the refresh token now.
    @discardableResult
    public func refresh() async throws -> Credentials {
        try await renewTokens(after: credentials?.accessToken, force: true)
    }

    /// An access token valid for at least `validity` more seconds, rotating the login when the
    /// current one expires sooner (for sockets that re-authenticate before their token expires).
    public func accessToken(validFor validity: TimeInterval) async throws -> String {
        if let token = credentials?.accessToken, Self.secondsLeft(token) >= validity { return token }
        let renewed = try await renewTokens(after: credentials?.accessToken, force: true, validFor: validity)
        guard let token = renewed.accessToken else { throw MeshAPIError.notLoggedIn(server) }
        return token
    }

    /// Seconds before `token` expires (0 for a token whose expiry cannot be read).
    static func secondsLeft(_ token: String, now: Date = Date()) -> TimeInterval {
        AccessTokenExpiry.of(token).map { $0.timeIntervalSince(now) } ?? 0
    }

    /// Revokes the refresh token on the server and forgets the login locally, even when the
    /// server cannot be told (the error is rethrown after forgetting).
    public func logout() async throws {
        let refreshToken = credentials?.refreshToken
        try remember(credentials?.loggedOut ?? Credentials(server: server))
        if let refreshToken {
            try await callEmpty(.POST, "/v1/auth/logout", body: RefreshRequest(refreshToken: refreshToken), authorized: false)
        }
    }

    /// Asks for a new verification email.
    public func requestEmailVerification() async throws {
        try await callEmpty(.POST, "/v1/me/verify-email")
    }

    /// The caller's profile.
    public func me() async throws -> UserProfile {
        try await call(.GET, "/v1/me")
    }

    /// Changes the display name and/or email.
    public func updateProfile(displayName: String? = nil, email: String? = nil) async throws -> UserProfile {
        let user: UserProfile = try await call(.PATCH, "/v1/me", body: ProfileUpdate(displayName: displayName, email: email))
        if var current = credentials {
            current.displayName = user.displayName
            current.email = user.email
            try remember(current)
        }
        return user
    }

    /// Changes the password; every other login of the account is revoked, this one is kept.
    public func changePassword(current: String, new: String) async throws {
        try await callEmpty(.POST, "/v1/me/password",
                            body: PasswordChange(currentPassword: current, newPassword: new, refreshToken: credentials?.refreshToken))
    }

    // MARK: Plumbing

    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: (any Encodable)? = nil,
                            authorized: Bool = true) async throws -> T {
        let (status, data) = try await perform(method, path, body: body, authorized: authorized)
        do {
            return try MeshJSON.decoder().decode(T.self, from: data)
        } catch {
            throw MeshAPIError(status: status, code: "bad_response",
                               message: "unexpected answer from \(server)\(path): \(error)")
        }
    }

    func callEmpty(_ method: HTTPMethod, _ path: String, body: (any Encodable)? = nil, authorized: Bool = true) async throws {
        _ = try await perform(method, path, body: body, authorized: authorized)
    }

    /// A path segment, percent-encoded.
    nonisolated func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? value
    }

    private func perform(_ method: HTTPMethod, _ path: String, body: (any Encodable)?,
                         authorized: Bool) async throws -> (Int, Data) {
        let data = try body.map { try MeshJSON.encoder().encode($0) }
        guard authorized else { return try await exchange(method, path, data, token: nil) }
        guard let current = credentials, current.isLoggedIn else { throw MeshAPIError.notLoggedIn(server) }
        if let token = current.accessToken {
            do {
                return try await exchange(method, path, data, token: token)
            } catch let error as MeshAPIError where error.status == 401 && current.refreshToken != nil {
                // The access token expired: rotate once and retry below.
            }
        }
        let renewed = try await renewTokens(after: current.accessToken, force: false)
        return try await exchange(method, path, data, token: renewed.accessToken)
    }

    /// Rotates the tokens once even when several calls find theirs expired at the same time
    /// (presenting a used refresh token would revoke the whole login).
    ///
    /// With a credential store, other processes may share the login: the rotation happens under
    /// the store's lock, and a login another process rotated meanwhile is adopted instead.
    private func renewTokens(after stale: String?, force: Bool, validFor validity: TimeInterval = 30) async throws -> Credentials {
        if let refreshing { return try await refreshing.value }
        if !force, let current = credentials, current.accessToken != nil, current.accessToken != stale { return current }
        guard credentials?.refreshToken != nil else { throw MeshAPIError.notLoggedIn(server) }
        let task = Task { () async throws -> Credentials in
            let lock = await store?.lock()
            defer { lock?.unlock() }
            return try await rotate(stale: stale, validFor: validity)
        }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    /// Presents the newest refresh token this process can see, unless the store already holds
    /// a login rotated by another process whose access token is fresh enough.
    private func rotate(stale: String?, validFor validity: TimeInterval) async throws -> Credentials {
        var refreshToken = credentials?.refreshToken
        if let stored = try? store?.load(), CredentialStore.normalize(stored.server) == server,
           stored.refreshToken != nil, stored.refreshToken != refreshToken {
            if let token = stored.accessToken, token != stale, Self.secondsLeft(token) >= validity {
                credentials = stored
                return stored
            }
            refreshToken = stored.refreshToken
        }
        guard let refreshToken else { throw MeshAPIError.notLoggedIn(server) }
        do {
            let (_, data) = try await exchange(.POST, "/v1/auth/refresh",
                                               try MeshJSON.encoder().encode(RefreshRequest(refreshToken: refreshToken)), token: nil)
            let tokens = try MeshJSON.decoder().decode(TokenPair.self, from: data)
            let renewed = Credentials(server: server, tokens: tokens)
            try remember(renewed)
            return renewed
        } catch let error as MeshAPIError where error.status == 401 {
            throw MeshAPIError(status: 401, code: error.code,
                               message: "your login has expired (\(error.message)); run `mesh login`")
        }
    }

    private func remember(_ credentials: Credentials) throws {
        self.credentials = credentials
        try store?.save(credentials)
    }

    private func exchange(_ method: HTTPMethod, _ path: String, _ body: Data?, token: String?) async throws -> (Int, Data) {
        guard let url = URL(string: server), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw MeshAPIError(status: 0, code: "bad_request", message: "invalid server URL \"\(server)\" (expected http://host:port)")
        }
        var request = try makeRequest(path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "mesh")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: Int
        let bytes: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: 512 << 20)
        } catch {
            throw MeshAPIError.unreachable(server, error, tls: tls)
        }
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(status) else { throw Self.failure(status: status, data: data) }
        return (status, data)
    }

    /// A request to `path` on the server; over `https://` it carries the TLS configuration
    /// (AsyncHTTPClient keeps a connection pool per configuration).
    /// - Throws: ``ClientTLSError`` when the CA file cannot be used.
    func makeRequest(_ path: String) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + path)
        if server.lowercased().hasPrefix("https:") { request.tlsConfiguration = try tls.tlsConfiguration() }
        return request
    }

    private struct ErrorBody: Decodable { var code: String; var message: String }

    static func failure(status: Int, data: Data) -> MeshAPIError {
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: data) {
            return MeshAPIError(status: status, code: body.code, message: body.message)
        }
        let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
        let text = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // The status's code as the server would have named it, else the status itself (a proxy's 502).
        let code = ErrorCode(httpStatus: status)?.rawValue ?? "http_\(status)"
        return MeshAPIError(status: status, code: code, message: "HTTP \(status) \(reason)" + (text.isEmpty ? "" : ": \(text)"))
    }
}
