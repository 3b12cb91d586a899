import Foundation

/// The runtime image: the host's Go toolchain and Delve, and `mesh-relay`, imported from a
/// root-filesystem tarball (no registry). `runtime/build-rootfs.sh` stages it.
public enum RuntimeImage {
    public static let repository = "mesh-runtime"
    /// 4: mesh-relay confines programs and dlv with Landlock, builds debug launches itself and
    /// keeps the build cache within `MESH_CACHE_LIMIT_MB` (3 let programs write the cache; 2
    /// listened on a socket in a bind-mounted folder).
    public static let tag = "4"
    public static var reference: String { "\(repository):\(tag)" }
    /// The prefix of the named volumes holding Go's build cache, one per session and image
    /// (`Sandbox.volumeName(_:imageID:session:)`), each filled by Docker from the image's warm
    /// `/opt/gocache` (whose entries are read-only to the sandbox user) when first mounted.
    public static let cacheVolume = "mesh-gocache"

    /// Stages the root filesystem with `script` and imports it into dockerd.
    public static func build(script: URL, docker: DockerClient = DockerClient(), log: (String) -> Void = { _ in }) async throws {
        try await docker.ping()
        let tarball = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-runtime-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: tarball) }
        log("staging the root filesystem with \(script.path)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, tarball.path]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DockerError.api(status: 0, message: "\(script.path) failed with exit code \(process.terminationStatus)")
        }
        log("importing \(reference)")
        let previous = try await docker.imageID(reference)
        try await docker.importImage(tarball: tarball, repository: repository, tag: tag)
        // The image it replaces is untagged now: remove it unless a container still uses it.
        if let previous, try await docker.imageID(reference) != previous {
            do { try await docker.removeImage(previous) } catch { log("kept the previous image \(previous): \(error)") }
        }
    }

    /// Removes the `mesh-runtime` tags of other Mesh versions (and so their images, unless another
    /// tag or a container still holds one). Returns the tags removed.
    @discardableResult
    public static func removeOtherVersions(docker: DockerClient = DockerClient(), log: (String) -> Void = { _ in }) async throws -> [String] {
        var removed: [String] = []
        for other in try await docker.imageTags(repository: repository) where other != reference {
            do {
                try await docker.removeImage(other)
                removed.append(other)
            } catch {
                log("kept \(other): \(error)")
            }
        }
        return removed
    }
}
