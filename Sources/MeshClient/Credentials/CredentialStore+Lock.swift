import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension CredentialStore {
    /// An exclusive lock on `credentials.lock` beside the file, so that processes sharing one
    /// login (`mesh lsp` in two editors, `mesh dap`) rotate its refresh token one at a time:
    /// presenting a token another process already rotated would revoke the whole login.
    /// Waits up to `timeout` for it; nil when it cannot be had (the caller goes on unlocked).
    public func lock(timeout: Duration = .seconds(10)) async -> CredentialLock? {
        if !FileManager.default.fileExists(atPath: directory.path) {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let fd = open(directory.appendingPathComponent("credentials.lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let deadline = ContinuousClock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline,
                  (try? await Task.sleep(for: .milliseconds(25))) != nil
            else { close(fd); return nil }
        }
        return CredentialLock(fd: fd)
    }
}

/// A held ``CredentialStore/lock(timeout:)``; ``unlock()`` releases it.
public struct CredentialLock: Sendable {
    let fd: Int32

    public func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
