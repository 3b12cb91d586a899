import Foundation

/// Go's build cache: one named volume per session and runtime image,
/// `<prefix>-<12 hex of the image id>-s<32 hex of the session id>` (59 characters with the
/// default prefix), which Docker fills from the image's sealed warm cache when a container first
/// mounts it. No session can write where another one's builds read.
extension Sandbox {
    /// The image part of the cache volume names: the prefix and the image id's first 12 hex
    /// digits (alone, the one volume every session shared before sessions had their own).
    public static func volumeName(_ prefix: String, imageID: String) -> String {
        "\(prefix)-\(imageID.split(separator: ":").last.map { String($0.prefix(12)) } ?? "0")"
    }

    /// A session's cache volume for an image.
    public static func volumeName(_ prefix: String, imageID: String, session: UUID) -> String {
        "\(volumeName(prefix, imageID: imageID))-s\(sessionDigits(session))"
    }

    /// The session id's 32 hex digits, lowercase.
    static func sessionDigits(_ session: UUID) -> String {
        session.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The image digits and the session digits (nil for a shared volume) of a name of this
    /// scheme; nil for any other name.
    static func parseVolumeName(_ name: String, prefix: String) -> (image: String, session: String?)? {
        guard name.hasPrefix(prefix + "-") else { return nil }
        let rest = name.dropFirst(prefix.count + 1)
        let image = rest.prefix(12)
        guard image.count == 12, image.allSatisfy(\.isHexDigit) else { return nil }
        let tail = rest.dropFirst(12)
        if tail.isEmpty { return (String(image), nil) }
        guard tail.hasPrefix("-s") else { return nil }
        let session = tail.dropFirst(2)
        guard session.count == 32, session.allSatisfy(\.isHexDigit) else { return nil }
        return (String(image), String(session))
    }

    /// Removes the cache volumes no container of the current image will mount: the session
    /// volumes of earlier images, and the shared volumes of earlier Mesh versions. One that a
    /// container still uses stays. Returns the names removed.
    @discardableResult
    public func removeStaleCacheVolumes() async throws -> [String] {
        guard let cacheVolume, let imageID = try await docker.imageID(image) else { return [] }
        let current = String(Self.volumeName(cacheVolume, imageID: imageID).dropFirst(cacheVolume.count + 1))
        var removed: [String] = []
        for name in try await docker.volumes(namePrefix: cacheVolume + "-") {
            // Only this scheme's names.
            guard let parts = Self.parseVolumeName(name, prefix: cacheVolume) else { continue }
            if parts.session != nil && parts.image == current { continue }
            if try await removeCacheVolumeUnlessInUse(name) { removed.append(name) }
        }
        return removed
    }

    /// Removes the current image's session volumes of this server (its label) whose session
    /// `exists` says is gone (its deletion could not remove them: dockerd was unreachable, or the
    /// server died first). A volume in use stays, and so does one `exists` cannot answer for or
    /// another server's. Returns the names removed.
    @discardableResult
    public func removeCacheVolumesOfDeletedSessions(exists: (UUID) async throws -> Bool) async throws -> [String] {
        guard let cacheVolume, let imageID = try await docker.imageID(image) else { return [] }
        let current = String(Self.volumeName(cacheVolume, imageID: imageID).dropFirst(cacheVolume.count + 1))
        var removed: [String] = []
        let mine = "\(ContainerSpec.managedLabel)=\(instance)"
        for name in try await docker.volumes(namePrefix: cacheVolume + "-", label: mine) {
            guard let parts = Self.parseVolumeName(name, prefix: cacheVolume), parts.image == current,
                  let digits = parts.session, let session = Self.session(fromDigits: digits),
                  (try? await exists(session)) == false
            else { continue }
            if try await removeCacheVolumeUnlessInUse(name) { removed.append(name) }
        }
        return removed
    }

    /// Removes cache volume `name`, unless a container uses it (Docker answers 409); whether it
    /// was removed. Any other failure is thrown.
    private func removeCacheVolumeUnlessInUse(_ name: String) async throws -> Bool {
        do {
            try await docker.removeVolume(name)
            seededVolumes.remove(name)
            return true
        } catch DockerError.api(409, _) {
            return false
        }
    }

    /// The session id of 32 hex digits.
    static func session(fromDigits digits: String) -> UUID? {
        guard digits.count == 32 else { return nil }
        let d = Array(digits)
        return UUID(uuidString: "\(String(d[0..<8]))-\(String(d[8..<12]))-\(String(d[12..<16]))-\(String(d[16..<20]))-\(String(d[20..<32]))")
    }

    /// Whether a container of this server has mounted a cache volume of `session`.
    func hasMountedCacheVolume(of session: UUID) -> Bool {
        guard let cacheVolume else { return false }
        let digits = Self.sessionDigits(session)
        return seededVolumes.contains { Self.parseVolumeName($0, prefix: cacheVolume)?.session == digits }
    }

    /// Removes a session's cache volumes (of every image), retrying for up to 5 s while a
    /// container that is being removed still holds one. Returns the names removed.
    @discardableResult
    public func removeCacheVolumes(of session: UUID) async -> [String] {
        guard let cacheVolume else { return [] }
        let digits = Self.sessionDigits(session)
        let names: [String]
        do {
            names = try await docker.volumes(namePrefix: cacheVolume + "-")
                .filter { Self.parseVolumeName($0, prefix: cacheVolume)?.session == digits }
        } catch {
            logger.warning("could not list the cache volumes of a deleted session", metadata: ["session": "\(session)", "error": "\(error)"])
            return []
        }
        var removed: [String] = []
        for name in names {
            for attempt in 1...20 {
                do {
                    try await docker.removeVolume(name)
                    seededVolumes.remove(name)
                    removed.append(name)
                    break
                } catch DockerError.api(409, _) where attempt < 20 {
                    try? await Task.sleep(for: .milliseconds(250))
                } catch {
                    logger.warning("could not remove the cache volume of a deleted session",
                                   metadata: ["volume": "\(name)", "error": "\(error)"])
                    break
                }
            }
        }
        return removed
    }
}
