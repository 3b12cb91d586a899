import Foundation
import NIOSSL
import Synchronization

/// How a Mesh client checks an `https://` or `wss://` server's certificate: against the
/// system's trust store, or, with a CA file (`--ca-file`, `$MESH_CA_FILE`), against the
/// certificates in that PEM file only (as `curl --cacert` does). Plain `http://` and `ws://`
/// never read it.
public struct ClientTLS: Sendable, Hashable {
    /// A PEM file of the CA certificates to trust instead of the system's; nil: the system's.
    public var caFile: String?

    public init(caFile: String? = nil) {
        self.caFile = caFile.flatMap { $0.isEmpty ? nil : NSString(string: $0).expandingTildeInPath }
    }

    private static let chosenCAFile = Mutex<String?>(nil)

    /// What every client of this process uses unless given its own: the CA file of
    /// ``useCAFile(_:)`` (the command line's `--ca-file`), else `$MESH_CA_FILE`, else none.
    public static var `default`: ClientTLS {
        ClientTLS(caFile: chosenCAFile.withLock { $0 } ?? ProcessInfo.processInfo.environment["MESH_CA_FILE"])
    }

    /// Makes `path` the CA file of every client of this process (``default``); nil keeps
    /// `$MESH_CA_FILE` in charge. Called once, with the parsed command line.
    public static func useCAFile(_ path: String?) {
        guard let path, !path.isEmpty else { return }
        chosenCAFile.withLock { $0 = path }
    }

    /// The client side of a TLS connection: TLS 1.2 or newer, the certificate chain and the
    /// host name (or IP address) checked.
    /// - Throws: ``ClientTLSError`` when the CA file cannot be read or holds no certificate.
    public func tlsConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw ClientTLSError("cannot read the CA file \(caFile) (--ca-file, MESH_CA_FILE)")
            }
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw ClientTLSError("the CA file \(caFile) holds no PEM certificate (--ca-file, MESH_CA_FILE)")
            }
            guard !certificates.isEmpty else {
                throw ClientTLSError("the CA file \(caFile) holds no PEM certificate (--ca-file, MESH_CA_FILE)")
            }
            configuration.trustRoots = .certificates(certificates)
        }
        return configuration
    }
}

/// A CA file that cannot be used.
public struct ClientTLSError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
