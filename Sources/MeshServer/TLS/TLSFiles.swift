import Foundation
import NIOSSL

/// The PEM files `mesh serve --tls-cert --tls-key` answers TLS with.
public struct TLSFiles: Sendable, Hashable {
    /// The certificate chain: the server's own certificate first, then its intermediates
    /// (certbot's `fullchain.pem`).
    public var certificatePath: String
    /// The private key of the first certificate, unencrypted PEM (certbot's `privkey.pem`).
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// Reads both files into a server context (TLS 1.2 and newer). Nothing is kept from a
    /// failed attempt: the error names the file and what is wrong with it.
    func load() throws -> LoadedTLS {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSLoadError(FileManager.default.isReadableFile(atPath: certificatePath)
                ? "\(certificatePath) holds no PEM certificate (\(error))"
                : "cannot read the certificate \(certificatePath)")
        }
        guard let leaf = chain.first else { throw TLSLoadError("\(certificatePath) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TLSLoadError(FileManager.default.isReadableFile(atPath: keyPath)
                ? "\(keyPath) holds no unencrypted PEM private key (\(error))"
                : "cannot read the private key \(keyPath)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        let context: NIOSSLContext
        do {
            // BoringSSL refuses a key that does not belong to the first certificate here.
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSLoadError("the private key \(keyPath) does not go with the certificate \(certificatePath) (\(error))")
        }
        return LoadedTLS(context: context, certificate: TLSCertificateInfo(leaf))
    }
}

/// A server context and what its certificate says.
struct LoadedTLS: Sendable {
    let context: NIOSSLContext
    let certificate: TLSCertificateInfo
}

/// What the served certificate says: for the log line of a (re)load, and for tests.
public struct TLSCertificateInfo: Sendable, Hashable, CustomStringConvertible {
    /// The serial number, lower-case hex.
    public var serial: String
    /// The subject's common name, if it has one.
    public var commonName: String?
    /// The end of its validity.
    public var notValidAfter: Date

    init(_ certificate: NIOSSLCertificate) {
        serial = certificate.serialNumber.map { String(format: "%02x", $0) }.joined()
        commonName = certificate.subjectName.last { $0.type == .commonName }?.value
        notValidAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
    }

    public var description: String {
        "CN=\(commonName ?? "-") serial=\(serial) expires=\(ISO8601DateFormatter().string(from: notValidAfter))"
    }
}

/// Why a certificate or key could not be used.
public struct TLSLoadError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
