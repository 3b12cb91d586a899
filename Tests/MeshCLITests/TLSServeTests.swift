import Foundation
import MeshClient
import MeshProtocol
import MeshTestSupport
import Testing

/// `mesh serve --tls-cert --tls-key` end to end, with a CA and certificates made here by
/// `openssl`: the CLI over https with `--ca-file` and `MESH_CA_FILE`, the collaboration
/// WebSocket over wss (in this process and through `mesh lsp`), a client without the CA
/// refused in plain words, `/health` over https, and SIGHUP: a new certificate reaches the next
/// connection, a broken one leaves the old one in use, and no open socket is dropped.
/// Every connection goes to 127.0.0.1. Without `openssl` the suite is skipped, except under
/// CI, where it fails.
@Suite(.timeLimit(.minutes(5)), .enabled(if: OpenSSL.testsRun, "openssl is not installed (apt-get install openssl)"))
struct TLSServeTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-tls-\(UUID().uuidString)")
    static let password = "owner password 1"

    func mesh(_ arguments: [String], home: URL, environment: [String: String] = [:], stdin: String? = nil) async throws -> MeshBinary.Result {
        try await MeshBinary.run(arguments, environment: ["MESH_HOME": home.path].merging(environment) { $1 }, stdin: stdin)
    }

    /// A CA, a first certificate (`served/server.pem` and `.key`) and a server using it.
    func startServer() async throws -> (TestCertificateAuthority, TestCertificateAuthority.Issued, MeshServerProcess, port: Int) {
        let ca = try await TestCertificateAuthority(in: root.appendingPathComponent("ca"))
        let served = root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        let first = try await ca.issue(commonName: "mesh-tls-one", serial: 0x1001, name: "server", in: served)
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let server = MeshServerProcess(dataDirectory: data,
                                       extraArguments: ["--tls-cert", first.certificate.path, "--tls-key", first.key.path])
        try await server.start()
        guard let port = server.url.split(separator: ":").last.flatMap({ Int($0) }) else {
            server.stop()
            throw TestFailure("no port in the listening URL \(server.url)")
        }
        return (ca, first, server, port)
    }

    /// Signs up with `--ca-file` and shares a folder holding `notes.txt` (with `MESH_CA_FILE`).
    func signUpAndShare(server: String, caFile: String, home: URL) async throws -> SessionInfo {
        let signup = try await mesh(["signup", "--email", "owner@example.test", "--name", "Owner", "--password-stdin",
                               "--server", server, "--ca-file", caFile, "--json"], home: home, stdin: Self.password + "\n")
        try #require(signup.status == 0, "signup over https failed: \(signup.stderr)")
        let project = root.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try "shared over TLS\n".write(to: project.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let shared = try await mesh(["share", project.path, "--json"], home: home, environment: ["MESH_CA_FILE": caFile])
        try #require(shared.status == 0, "share over https failed: \(shared.stderr)")
        struct Shared: Decodable { var session: SessionInfo }
        return try MeshJSON.decoder().decode(Shared.self, from: Data(shared.stdout.utf8)).session
    }

    @Test func httpsWssAndReloadsOnSIGHUP() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (ca, first, server, port) = try await startServer()
        defer { server.stop() }
        let url = server.url
        #expect(url.hasPrefix("https://127.0.0.1:"), "the listening line names https: \(url)")
        let caFile = ca.certificate.path, withCA = ["MESH_CA_FILE": caFile]
        let home = root.appendingPathComponent("home-owner")
        let session = try await signUpAndShare(server: url, caFile: caFile, home: home)
        let login = try await mesh(["login", "--email", "owner@example.test", "--password-stdin", "--server", url, "--json"],
                             home: home, environment: withCA, stdin: Self.password + "\n")
        #expect(login.status == 0, "login with MESH_CA_FILE failed: \(login.stderr)")

        // Without the CA: refused in one line that says what to do, exit status 1.
        let refused = try await mesh(["login", "--email", "owner@example.test", "--password-stdin", "--server", url],
                               home: root.appendingPathComponent("home-stranger"), stdin: Self.password + "\n")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("certificate") && refused.stderr.contains("MESH_CA_FILE"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("Fatal") && refused.stdout.isEmpty)
        let noCAFile = try await mesh(["whoami", "--ca-file", root.appendingPathComponent("none.pem").path], home: home)
        #expect(noCAFile.status == 1 && noCAFile.stderr.contains("none.pem"), "\(noCAFile.stderr)")

        // /health over https, as openssl sees it.
        let health = try await OpenSSL.httpsGet(port: port, path: "/health", caFile: ca.certificate)
        #expect(health.hasPrefix("HTTP/1.1 200") && health.contains("\"status\":\"ok\""), "\(health)")

        // The collaboration socket over wss, to an IP address; refused without the CA.
        let token = try #require(try CredentialStore(directory: home).load()?.accessToken)
        let client = try await CollaborationClient.connect(server: url, accessToken: token, session: session.id.uuidString,
                                                          client: "mesh-tests", tls: ClientTLS(caFile: caFile))
        var messages = client.messages.makeAsyncIterator()
        let welcome = await messages.next()
        guard case let .welcome(info)? = welcome else {
            Issue.record("expected welcome over wss, got \(String(describing: welcome))")
            return
        }
        #expect(info.documents == ["notes.txt"])
        try await expectPong(client, &messages, id: "before")
        let stranger = await #expect(throws: CollaborationError.self) {
            try await CollaborationClient.connect(server: url, accessToken: token, session: session.id.uuidString, tls: ClientTLS())
        }
        #expect(stranger?.description.contains("certificate") == true, "\(String(describing: stranger))")

        // SIGHUP with a new certificate in the same files: the next connection gets it, the
        // open socket stays.
        let before = try await OpenSSL.servedCertificate(port: port, caFile: ca.certificate)
        #expect(before.serial == first.serial && before.commonName == first.commonName)
        let second = try await ca.issue(commonName: "mesh-tls-two", serial: 0x2002, name: "server",
                                  in: first.certificate.deletingLastPathComponent())
        kill(server.process.processIdentifier, SIGHUP)
        try await eventually("the server reloads its certificate") { server.log.contains("TLS certificate reloaded") }
        let after = try await OpenSSL.servedCertificate(port: port, caFile: ca.certificate)
        #expect(after.serial == second.serial && after.commonName == second.commonName, "\(after)")
        try await expectPong(client, &messages, id: "after the reload")
        let whoami = try await mesh(["whoami", "--json"], home: home, environment: withCA)
        #expect(whoami.status == 0, "\(whoami.stderr)")

        // SIGHUP with a broken certificate: an error in the log, the second certificate still served.
        try "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n".write(to: second.certificate, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        try await eventually("the server reports the failed reload") { server.log.contains("TLS reload failed") }
        #expect(server.process.isRunning)
        let kept = try await OpenSSL.servedCertificate(port: port, caFile: ca.certificate)
        #expect(kept.serial == second.serial && kept.commonName == second.commonName, "\(kept)")
        let stillWorks = try await mesh(["whoami", "--json"], home: home, environment: withCA)
        #expect(stillWorks.status == 0, "\(stillWorks.stderr)")
        try await expectPong(client, &messages, id: "after the failed reload")
        await client.close()
        #expect(await server.stopped() == 0, "mesh serve did not exit cleanly: \(server.log)")
    }

    /// `mesh lsp` as an editor launches it, with `MESH_CA_FILE` in its environment: it reaches
    /// the session over wss and an edit arrives on the server.
    @Test func meshLSPSharesOverWssWithMESH_CA_FILE() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (ca, _, server, _) = try await startServer()
        defer { server.stop() }
        let caFile = ca.certificate.path
        let home = root.appendingPathComponent("home-owner")
        let session = try await signUpAndShare(server: server.url, caFile: caFile, home: home)
        let project = root.appendingPathComponent("project")
        let editor = try EditorProcess(name: "owner", home: home, logFile: root.appendingPathComponent("lsp.log"),
                                       environment: ["MESH_CA_FILE": caFile])
        defer { editor.close() }
        try await editor.start(root: project, file: project.appendingPathComponent("notes.txt"), encodings: ["utf-16"])
        do {
            try await eventually("mesh lsp bridges the file over wss", timeout: .seconds(30)) { editor.currentPresence != nil }
        } catch {
            Issue.record("\(error)\n\(editor.transcript)")
            return
        }
        editor.edit(0..<0, "// typed over TLS\n")
        let api = MeshAPIClient(server: server.url, credentials: try CredentialStore(directory: home).load(),
                                tls: ClientTLS(caFile: caFile))
        try await eventually("the edit reaches the server") {
            guard let documents = try? await api.documents(of: session.id),
                  let id = documents.first(where: { $0.path == "notes.txt" })?.id,
                  let text = try? await api.document(session: session.id, id: id).text
            else { return false }
            return text == "// typed over TLS\nshared over TLS\n"
        }
    }

    /// The invite page of a server that speaks TLS itself names an https link (RequestScheme, the
    /// rule of the cookies' `Secure` too). The bug: the page believed only `X-Forwarded-Proto`,
    /// so `mesh serve --tls-cert` printed `mesh join http://…`, a link that does not reach it.
    @Test func theInvitePageOverTLSNamesAnHttpsLink() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (ca, _, server, port) = try await startServer()
        defer { server.stop() }
        let code = String(repeating: "A", count: 43)
        let page = try await OpenSSL.httpsGet(port: port, path: "/join/\(code)", caFile: ca.certificate)
        #expect(page.hasPrefix("HTTP/1.1 200"), "\(page)")
        #expect(page.contains("mesh join https://127.0.0.1:\(port)/join/\(code)"), "\(page)")
    }

    /// Half a TLS configuration, or files that do not load, stop `mesh serve` at once.
    @Test func serveRefusesHalfATLSConfigurationAndBadFiles() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let ca = try await TestCertificateAuthority(in: root.appendingPathComponent("ca"))
        let issued = try await ca.issue(commonName: "mesh-tls-one", serial: 0x1001)
        let data = root.appendingPathComponent("data").path
        let certOnly = try await MeshBinary.run(["serve", "--port", "0", "--data-dir", data, "--tls-cert", issued.certificate.path])
        #expect(certOnly.status != 0 && certOnly.stderr.contains("--tls-key"), "\(certOnly.stderr)")
        let keyOnly = try await MeshBinary.run(["serve", "--port", "0", "--data-dir", data], environment: ["MESH_TLS_KEY": issued.key.path])
        #expect(keyOnly.status != 0 && keyOnly.stderr.contains("--tls-cert"), "\(keyOnly.stderr)")
        // The key given as the certificate: one line naming the file, exit status 1.
        let swapped = try await MeshBinary.run(["serve", "--port", "0", "--data-dir", data, "--bcrypt-cost", "4",
                                          "--tls-cert", issued.key.path, "--tls-key", issued.key.path])
        #expect(swapped.status == 1)
        #expect(swapped.stderr.contains("mesh serve: TLS:") && swapped.stderr.contains(issued.key.path), "\(swapped.stderr)")
    }

    /// Sends a ping on `client` and waits for its pong.
    func expectPong(_ client: CollaborationClient, _ messages: inout AsyncStream<ServerMessage>.Iterator, id: String) async throws {
        try await client.send(.ping(.init(id: id)))
        while let message = await messages.next() {
            if case .pong = message {
                #expect(message == .pong(.init(id: id)))
                return
            }
        }
        let reason = await client.closeError
        Issue.record("the socket closed before the pong \(id): \(String(describing: reason))")
    }
}
