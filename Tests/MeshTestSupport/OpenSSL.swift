import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `openssl` command line, for the TLS tests: making certificates, and looking at what a
/// server on 127.0.0.1 presents from outside Mesh's own TLS code (`openssl s_client`).
public enum OpenSSL {
    /// The `openssl` on `PATH`, if any.
    public static var executable: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("openssl") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Whether the run is CI's (`CI=true`, `1` or `yes`): there a missing `openssl` fails the
    /// TLS tests instead of skipping them.
    public static var isCI: Bool {
        ["true", "1", "yes"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")
    }

    /// Whether the TLS tests run: `openssl` is there, or this is CI (where its absence fails them).
    public static var testsRun: Bool { executable != nil || isCI }

    /// What a run printed.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `openssl` with `arguments` (and `stdin`), killed after `timeout`; waits without
    /// holding a thread.
    /// - Throws: ``OpenSSLError`` when `openssl` is not installed.
    public static func run(_ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(30)) async throws -> Result {
        guard let executable else {
            throw OpenSSLError("openssl is not installed (Debian: apt-get install openssl; scripts/test.sh installs it)")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // Output goes through files, so that no pipe fills up while the process runs.
        let id = UUID().uuidString
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("openssl-out-\(id)")
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("openssl-err-\(id)")
        for file in [outFile, errFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        defer { for file in [outFile, errFile] { try? FileManager.default.removeItem(at: file) } }
        let out = try FileHandle(forWritingTo: outFile), err = try FileHandle(forWritingTo: errFile)
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        if stdin == nil { process.standardInput = FileHandle.nullDevice } else { process.standardInput = input }
        try process.run()
        try out.close()
        try err.close()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        if await !process.exited(within: timeout) {
            kill(process.processIdentifier, SIGKILL)
            await offCooperativePool { process.waitUntilExit() }
        }
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }

    /// The certificate a TLS server on 127.0.0.1 presents to a new connection, checked against
    /// `caFile` (chain and IP address): openssl's `serial=…` (upper-case hex) and its subject's CN.
    public static func servedCertificate(port: Int, caFile: URL) async throws -> (serial: String, commonName: String) {
        let connection = try await run(["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", caFile.path,
                                  "-verify_return_error", "-verify_ip", "127.0.0.1"])
        guard connection.status == 0, connection.stdout.contains("BEGIN CERTIFICATE") else {
            throw OpenSSLError("openssl s_client to 127.0.0.1:\(port) failed: \(connection.stderr)")
        }
        let fields = try await run(["x509", "-noout", "-serial", "-subject", "-nameopt", "RFC2253"], stdin: connection.stdout)
        func field(_ prefix: String) -> String? {
            fields.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        guard let serial = field("serial="), let subject = field("subject="),
              let commonName = subject.split(separator: ",").first(where: { $0.hasPrefix("CN=") })?.dropFirst(3)
        else { throw OpenSSLError("openssl x509 printed no serial or CN: \(fields.stdout) \(fields.stderr)") }
        return (serial, String(commonName))
    }

    /// `GET path` over HTTPS to 127.0.0.1 (certificate checked against `caFile`): the raw response.
    public static func httpsGet(port: Int, path: String, caFile: URL) async throws -> String {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
        let result = try await run(["s_client", "-quiet", "-connect", "127.0.0.1:\(port)", "-CAfile", caFile.path,
                              "-verify_return_error", "-verify_ip", "127.0.0.1"], stdin: request)
        guard result.status == 0 else { throw OpenSSLError("openssl s_client GET \(path) failed: \(result.stderr)") }
        return result.stdout
    }
}

/// `openssl` missing, or a run of it that failed.
public struct OpenSSLError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
