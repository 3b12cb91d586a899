import NIOSSL
import Synchronization

/// The TLS context every new connection starts with. ``reload()`` (on SIGHUP) reads the files
/// again and swaps the context only when they load: a bad certificate or key leaves the one in
/// use in place. Open connections keep the context they started with.
public final class ReloadableTLSContext: Sendable {
    public let files: TLSFiles
    private let loaded: Mutex<LoadedTLS>

    /// Loads `files`; throws ``TLSLoadError`` when they cannot be used.
    public init(files: TLSFiles) throws {
        self.files = files
        loaded = Mutex(try files.load())
    }

    /// The context for a connection accepted now.
    var current: NIOSSLContext { loaded.withLock { $0.context } }

    /// What the certificate in use says.
    public var certificate: TLSCertificateInfo { loaded.withLock { $0.certificate } }

    /// Reads the files again; on success new connections get the new certificate, on failure
    /// (the error is thrown) nothing changes.
    @discardableResult
    public func reload() throws -> TLSCertificateInfo {
        let fresh = try files.load()
        loaded.withLock { $0 = fresh }
        return fresh.certificate
    }
}
