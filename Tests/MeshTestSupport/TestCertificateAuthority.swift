import Foundation

/// A throwaway certificate authority made with the `openssl` command line, and the server
/// certificates it signs for 127.0.0.1 and localhost (EC P-256 keys, valid for two days).
public struct TestCertificateAuthority: Sendable {
    /// Where the CA's files, and by default the certificates it issues, are written.
    public let directory: URL
    /// The CA's certificate (PEM): what a client is given with `--ca-file`.
    public var certificate: URL { directory.appendingPathComponent("ca.pem") }
    private var key: URL { directory.appendingPathComponent("ca.key") }

    /// A certificate and its private key, as PEM files.
    public struct Issued: Sendable {
        public let certificate: URL
        public let key: URL
        /// The serial number as openssl prints it (upper-case hex).
        public let serial: String
        public let commonName: String
    }

    /// Makes a CA called `name` in `directory` (created when missing).
    /// - Throws: ``OpenSSLError`` when `openssl` is missing or fails.
    public init(in directory: URL, name: String = "Mesh Test CA") async throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", key.path, "-out", certificate.path, "-days", "2", "-subj", "/CN=\(name)",
                          "-addext", "basicConstraints=critical,CA:TRUE",
                          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    /// A server certificate for `IP:127.0.0.1` and `DNS:localhost` with the common name and
    /// serial given, signed by this CA; written as `<name>.pem` and `<name>.key` in `folder`
    /// (default: the CA's directory), replacing files of those names.
    public func issue(commonName: String, serial: Int, name: String? = nil, in folder: URL? = nil) async throws -> Issued {
        let folder = folder ?? directory
        let base = name ?? commonName
        let certificateFile = folder.appendingPathComponent("\(base).pem")
        let keyFile = folder.appendingPathComponent("\(base).key")
        let request = directory.appendingPathComponent("\(base)-\(UUID().uuidString).csr")
        let extensions = directory.appendingPathComponent("\(base)-\(UUID().uuidString).ext")
        defer { for file in [request, extensions] { try? FileManager.default.removeItem(at: file) } }
        try """
            subjectAltName=IP:127.0.0.1,DNS:localhost
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """.write(to: extensions, atomically: true, encoding: .utf8)
        try await Self.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", keyFile.path, "-out", request.path, "-subj", "/CN=\(commonName)"])
        try await Self.openssl(["x509", "-req", "-in", request.path, "-CA", certificate.path, "-CAkey", key.path,
                          "-set_serial", String(serial), "-days", "2", "-extfile", extensions.path, "-out", certificateFile.path])
        var hex = String(serial, radix: 16, uppercase: true)
        if hex.count % 2 == 1 { hex = "0" + hex }   // openssl prints whole bytes
        return Issued(certificate: certificateFile, key: keyFile, serial: hex, commonName: commonName)
    }

    private static func openssl(_ arguments: [String]) async throws {
        let result = try await OpenSSL.run(arguments)
        guard result.status == 0 else {
            throw OpenSSLError("openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
    }
}
