import Foundation
import MeshTestSupport
import Testing
import MeshServer

/// The reloadable TLS context on its own: files that load replace the certificate, files that
/// do not (missing, garbage, a key of another certificate) leave it in place with an error
/// that names the file.
@Suite(.timeLimit(.minutes(2)), .enabled(if: OpenSSL.testsRun, "openssl is not installed (apt-get install openssl)"))
struct TLSContextTests {
    @Test func aReloadTakesNewFilesAndKeepsTheOldCertificateWhenTheyAreBad() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-tls-context-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let ca = try await TestCertificateAuthority(in: root.appendingPathComponent("ca"))
        let served = root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        let first = try await ca.issue(commonName: "mesh-one", serial: 0x1001, name: "server", in: served)
        let tls = try ReloadableTLSContext(files: TLSFiles(certificatePath: first.certificate.path, keyPath: first.key.path))
        #expect(tls.certificate.commonName == "mesh-one" && tls.certificate.serial == "1001")
        #expect(tls.certificate.notValidAfter > Date())

        // New files in the same place: the reload takes them.
        let second = try await ca.issue(commonName: "mesh-two", serial: 0x2002, name: "server", in: served)
        #expect(second.certificate == first.certificate)
        #expect(try tls.reload().commonName == "mesh-two")
        #expect(tls.certificate.serial == "2002")

        // A key that belongs to another certificate: refused, the old pair stays.
        let spare = try await ca.issue(commonName: "mesh-spare", serial: 0x3003, name: "spare", in: served)
        try FileManager.default.removeItem(at: second.key)
        try FileManager.default.copyItem(at: spare.key, to: second.key)
        let mismatch = #expect(throws: TLSLoadError.self) { try tls.reload() }
        #expect(mismatch?.description.contains(second.key.path) == true, "\(String(describing: mismatch))")
        #expect(tls.certificate.commonName == "mesh-two")

        // A certificate file that is not PEM, then a missing one.
        try Data("not a certificate\n".utf8).write(to: second.certificate)
        let garbage = #expect(throws: TLSLoadError.self) { try tls.reload() }
        #expect(garbage?.description.contains(second.certificate.path) == true, "\(String(describing: garbage))")
        try FileManager.default.removeItem(at: second.certificate)
        let missing = #expect(throws: TLSLoadError.self) { try tls.reload() }
        #expect(missing?.description.contains("cannot read") == true, "\(String(describing: missing))")
        #expect(tls.certificate.commonName == "mesh-two" && tls.certificate.serial == "2002")

        // Good files again: back in business without a restart.
        _ = try await ca.issue(commonName: "mesh-three", serial: 0x4004, name: "server", in: served)
        #expect(try tls.reload().commonName == "mesh-three")
    }

    @Test func aServerStartsOnlyWithFilesThatLoad() async throws {
        let missing = TLSFiles(certificatePath: "/nonexistent/cert.pem", keyPath: "/nonexistent/key.pem")
        let error = #expect(throws: TLSLoadError.self) { try ReloadableTLSContext(files: missing) }
        #expect(error?.description.contains("/nonexistent/cert.pem") == true)
    }
}
