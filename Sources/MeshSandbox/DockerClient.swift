import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOHTTP1

/// A small client of the Docker Engine API (v1.41) over its unix socket: images, containers,
/// and (in `DockerClient+Attach`) the hijacked attach stream.
public struct DockerClient: Sendable {
    public static let defaultSocket = "/var/run/docker.sock"
    public static let apiVersion = "v1.41"

    public let socketPath: String
    private let http: HTTPClient

    /// An HTTP client that fails at once when dockerd's socket is missing or refuses, instead of
    /// retrying until the request's deadline (`mesh run` with dockerd down answered after 60 s).
    /// Never shut down (like `HTTPClient.shared`).
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(socketPath: String = DockerClient.defaultSocket, http: HTTPClient = DockerClient.sharedHTTPClient) {
        self.socketPath = socketPath
        self.http = http
    }

    // MARK: Daemon and images

    /// Checks that dockerd answers within `timeout` (a missing socket would otherwise wait out the
    /// HTTP client's connection retries); the error says how to start it.
    public func ping(timeout: TimeAmount = .seconds(5)) async throws {
        _ = try await call(.GET, "/_ping", expect: [200], timeout: timeout)
    }

    /// `{"Version": …, "ApiVersion": …}` of the daemon.
    public func version() async throws -> [String: Any] {
        try json(try await call(.GET, "/version", expect: [200])) as? [String: Any] ?? [:]
    }

    public func imageExists(_ reference: String) async throws -> Bool {
        try await imageID(reference) != nil
    }

    /// The image's id (`sha256:…`), or nil when there is no such image.
    public func imageID(_ reference: String) async throws -> String? {
        let (status, data) = try await raw(.GET, "/images/\(escape(reference))/json")
        if status == 404 { return nil }
        guard status == 200 else { throw DockerError.api(status: status, message: "inspecting image \(reference)") }
        return (try json(data) as? [String: Any])?["Id"] as? String
    }

    /// `docker import`: a root filesystem tarball becomes an image.
    public func importImage(tarball: URL, repository: String, tag: String) async throws {
        let size = (try FileManager.default.attributesOfItem(atPath: tarball.path)[.size] as? NSNumber)?.int64Value ?? 0
        let handle = try FileHandle(forReadingFrom: tarball)
        defer { try? handle.close() }
        let chunks = AsyncStream<ByteBuffer> { continuation in
            while let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty { continuation.yield(ByteBuffer(bytes: data)) }
            continuation.finish()
        }
        var request = HTTPClientRequest(url: url("/images/create?fromSrc=-&repo=\(escape(repository))&tag=\(escape(tag))"))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        request.body = .stream(chunks, length: .known(size))
        let response = try await execute(request, timeout: .minutes(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        let text = String(buffer: body)
        guard response.status == .ok, !text.contains("\"error\"") else {
            throw DockerError.api(status: Int(response.status.code), message: "image import failed: \(text.suffix(500))")
        }
    }

    // MARK: Containers

    /// Creates a container; returns its id.
    public func createContainer(_ body: [String: Any], name: String? = nil) async throws -> String {
        let query = name.map { "?name=\(escape($0))" } ?? ""
        let data = try await call(.POST, "/containers/create\(query)", body: body, expect: [201])
        guard let id = (try json(data) as? [String: Any])?["Id"] as? String else {
            throw DockerError.api(status: 201, message: "container create answered without an Id")
        }
        return id
    }

    public func startContainer(_ id: String) async throws {
        _ = try await call(.POST, "/containers/\(id)/start", expect: [204, 304])
    }

    /// Waits for the container to stop (`not-running`, which answers at once for a container that
    /// already exited) or for another `condition`; returns its exit code.
    public func waitContainer(_ id: String, condition: String = "not-running") async throws -> Int {
        let data = try await call(.POST, "/containers/\(id)/wait?condition=\(condition)", expect: [200], timeout: .hours(24))
        return ((try json(data) as? [String: Any])?["StatusCode"] as? NSNumber)?.intValue ?? -1
    }

    public func killContainer(_ id: String, signal: String = "KILL") async throws {
        _ = try await call(.POST, "/containers/\(id)/kill?signal=\(signal)", expect: [204, 404, 409])
    }

    public func removeContainer(_ id: String) async throws {
        _ = try await call(.DELETE, "/containers/\(id)?force=true&v=true", expect: [204, 404, 409])
    }

    /// Names of the volumes whose name starts with `prefix` (and that carry `label`, a
    /// `key=value`, when given).
    public func volumes(namePrefix prefix: String, label: String? = nil) async throws -> [String] {
        var filter = ["name": [prefix]]
        if let label { filter["label"] = [label] }
        let filters = try JSONSerialization.data(withJSONObject: filter)
        let data = try await call(.GET, "/volumes?filters=\(escape(String(decoding: filters, as: UTF8.self)))", expect: [200])
        let volumes = (try json(data) as? [String: Any])?["Volumes"] as? [[String: Any]] ?? []
        return volumes.compactMap { $0["Name"] as? String }.filter { $0.hasPrefix(prefix) }
    }

    /// Every `repository:tag` of `repository`'s images.
    public func imageTags(repository: String) async throws -> [String] {
        let filters = try JSONSerialization.data(withJSONObject: ["reference": [repository]])
        let data = try await call(.GET, "/images/json?filters=\(escape(String(decoding: filters, as: UTF8.self)))", expect: [200])
        let images = try json(data) as? [[String: Any]] ?? []
        return images.flatMap { $0["RepoTags"] as? [String] ?? [] }.filter { $0.hasPrefix(repository + ":") }.sorted()
    }

    /// Adds the tag `repository:tag` to an image.
    public func tagImage(_ reference: String, repository: String, tag: String) async throws {
        _ = try await call(.POST, "/images/\(escape(reference))/tag?repo=\(escape(repository))&tag=\(escape(tag))", expect: [201])
    }

    /// Removes an image by id or reference (nothing when it is gone; an API error while in use).
    public func removeImage(_ reference: String) async throws {
        _ = try await call(.DELETE, "/images/\(escape(reference))", expect: [200, 404])
    }

    /// Creates a named volume with `labels` (nothing when it exists: its labels stay as they are).
    public func createVolume(_ name: String, labels: [String: String] = [:]) async throws {
        _ = try await call(.POST, "/volumes/create", body: ["Name": name, "Labels": labels], expect: [201])
    }

    /// Removes a named volume (nothing when it is gone; an API error while a container uses it).
    public func removeVolume(_ name: String) async throws {
        _ = try await call(.DELETE, "/volumes/\(escape(name))", expect: [204, 404])
    }

    /// The raw inspect document, or nil when the container is gone.
    public func inspectContainer(_ id: String) async throws -> [String: Any]? {
        let (status, data) = try await raw(.GET, "/containers/\(id)/json")
        if status == 404 { return nil }
        guard status == 200 else { throw DockerError.api(status: status, message: String(decoding: data, as: UTF8.self)) }
        return try json(data) as? [String: Any]
    }

    /// Ids of every container (running or not) carrying the label `key=value`.
    public func containers(label: String) async throws -> [String] {
        let filters = try JSONSerialization.data(withJSONObject: ["label": [label]])
        let data = try await call(.GET, "/containers/json?all=1&filters=\(escape(String(decoding: filters, as: UTF8.self)))", expect: [200])
        return (try json(data) as? [[String: Any]] ?? []).compactMap { $0["Id"] as? String }
    }

    /// Every container (running or not) carrying the label `key=value`, with when it was created.
    public func containerCreations(label: String) async throws -> [(id: String, created: Date)] {
        let filters = try JSONSerialization.data(withJSONObject: ["label": [label]])
        let data = try await call(.GET, "/containers/json?all=1&filters=\(escape(String(decoding: filters, as: UTF8.self)))", expect: [200])
        return (try json(data) as? [[String: Any]] ?? []).compactMap { summary in
            guard let id = summary["Id"] as? String else { return nil }
            let created = (summary["Created"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) } ?? .distantPast
            return (id, created)
        }
    }

    // MARK: Plumbing

    func url(_ path: String) -> String {
        let host = socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketPath
        return "http+unix://\(host)/\(Self.apiVersion)\(path)"
    }

    private func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    private func json(_ data: Data) throws -> Any {
        data.isEmpty ? [:] : try JSONSerialization.jsonObject(with: data)
    }

    private func call(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, expect: Set<Int>,
                      timeout: TimeAmount = .seconds(60)) async throws -> Data {
        let (status, data) = try await raw(method, path, body: body, timeout: timeout)
        guard expect.contains(status) else {
            let message = ((try? json(data)) as? [String: Any])?["message"] as? String ?? String(decoding: data, as: UTF8.self)
            if status == 404, message.contains("No such image") { throw DockerError.missingImage(message) }
            throw DockerError.api(status: status, message: message)
        }
        return data
    }

    private func raw(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil,
                     timeout: TimeAmount = .seconds(60)) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: url(path))
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await execute(request, timeout: timeout)
        let data = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(data.readableBytesView))
    }

    private func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        var request = request
        // A unix-socket URL has no host; dockerd requires the header all the same.
        if !request.headers.contains(name: "Host") { request.headers.add(name: "Host", value: "docker") }
        do {
            return try await http.execute(request, timeout: timeout)
        } catch let error as HTTPClientError {
            throw DockerError.unavailable(socket: socketPath, reason: "\(error)")
        } catch let error as IOError {
            throw DockerError.unavailable(socket: socketPath, reason: "\(error)")
        }
    }
}
