import ArgumentParser
import Foundation
import MeshClient

/// Options every verb takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "The Mesh server URL (default: $MESH_SERVER, else the server last logged in to, else http://127.0.0.1:7420).")
    var server: String?

    @Option(help: "PEM file of the CA certificates to trust for an https:// server instead of the system's (env MESH_CA_FILE).")
    var caFile: String?

    @Flag(help: "Print machine-readable JSON on stdout (and nothing else).")
    var json = false
}

/// What a verb works with: the server, the credential store, the API client and the output.
struct CLIContext {
    let options: CommonOptions
    let store: CredentialStore
    let server: String
    let api: MeshAPIClient

    /// - Parameter server: a server that overrides `--server` and the defaults (the one an
    ///   invite link names); only a login to that very server is used.
    init(_ options: CommonOptions, server override: String? = nil) throws {
        self.options = options
        ClientTLS.useCAFile(options.caFile)
        let store = CredentialStore()
        let server = override.map(CredentialStore.normalize) ?? store.server(flag: options.server)
        let credentials = try store.load().flatMap { CredentialStore.normalize($0.server) == server ? $0 : nil }
        self.store = store
        self.server = server
        api = MeshAPIClient(server: server, credentials: credentials, store: store)
    }

    /// Runs a verb: any error becomes one line on stderr and exit status 1.
    static func run(_ options: CommonOptions, server: String? = nil, _ body: (CLIContext) async throws -> Void) async throws {
        do {
            try await body(try CLIContext(options, server: server))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("error: \(describe(error))")
            throw ExitCode(1)
        }
    }

    /// An error's message without Swift decorations.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as CustomStringConvertible: error.description
        default: error.localizedDescription
        }
    }

    /// Prints `value` as JSON under `--json`, else the human text.
    func output(_ value: some Encodable, human: () -> String) throws {
        if options.json {
            let data = try MeshJSON.encoder(pretty: true).encode(value)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(human())
        }
    }

    /// A warning on stderr.
    func warn(_ text: String) {
        printError("warning: \(text)")
    }

    /// A session named by id, or by a unique name among the caller's sessions.
    func resolveSession(_ argument: String) async throws -> UUID {
        if let id = UUID(uuidString: argument) { return id }
        let matches = try await api.sessions().filter { $0.name == argument }
        guard matches.count == 1 else {
            throw CLIError(matches.isEmpty ? "no session with id or name \"\(argument)\""
                                           : "several sessions are named \"\(argument)\"; use the id")
        }
        return matches[0].id
    }

    /// A member named by user id, email or display name.
    func resolveMember(_ argument: String, session: UUID) async throws -> UUID {
        if let id = UUID(uuidString: argument) { return id }
        let members = try await api.members(of: session)
        if let credentials = await api.credentials, let me = credentials.userID,
           credentials.email?.caseInsensitiveCompare(argument) == .orderedSame {
            return me
        }
        let byEmail = members.filter { $0.email?.caseInsensitiveCompare(argument) == .orderedSame }
        if byEmail.count == 1 { return byEmail[0].userID }
        let byName = members.filter { $0.displayName.caseInsensitiveCompare(argument) == .orderedSame }
        if byName.count == 1 { return byName[0].userID }
        throw CLIError(byName.count > 1 ? "several members are named \"\(argument)\"; use the user id"
                                         : "no member \"\(argument)\" in this session (see `mesh session members`)")
    }
}

/// A failure the CLI itself reports.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes `mesh: <text>` to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data("mesh: \(text)\n".utf8))
}

/// A server's answer as `--json` prints it with one string field of the CLI's own beside its
/// fields: an account with the `server` it is on, an invite with its link (`url`). The answer's
/// fields are written by its own type, so they stay the REST API's.
struct OutputWithField<Value: Encodable>: Encodable {
    var value: Value
    var key: String
    var field: String

    init(_ value: Value, adding key: String, _ field: String) {
        self.value = value
        self.key = key
        self.field = field
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(field, forKey: FieldKey(stringValue: key))
    }

    private struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}
