import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `mesh serve` per SQLite data folder: the embedded database serves a single node (several
/// nodes need PostgreSQL). Held as an exclusive `flock` on `<data>/mesh-serve.lock` for the life
/// of the process; the kernel releases it when the process ends, however it ends.
enum DataDirectoryLock {
    /// Takes the lock, or says which process holds it.
    static func acquire(_ directory: String) throws(LockError) -> Int32 {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("mesh-serve.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LockError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw LockError(message: "another mesh serve\(holder.isEmpty ? "" : " (pid \(holder))") uses \(directory): its SQLite database serves one node; run several nodes on PostgreSQL (--database-url postgres://…)")
        }
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return fd
    }

    struct LockError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
