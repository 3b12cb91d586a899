import Foundation
import MeshClient
import MeshProtocol

/// Logging in and signing up as `mesh login`, `mesh signup` and `mesh join <link>` do it: each
/// value from its option, else asked for on the terminal; the password from stdin
/// (`--password-stdin`), `$MESH_PASSWORD` or a hidden prompt.
enum Authentication {
    /// Creates an account on `cli.server` and logs in as it (the tokens are stored).
    static func signup(_ cli: CLIContext, email: String?, name: String?, passwordStdin: Bool) async throws -> TokenPair {
        let email = try Prompt.value(email, option: "--email", prompt: "Email: ", allowed: !passwordStdin)
        let name = try Prompt.value(name, option: "--name", prompt: "Display name: ", allowed: !passwordStdin)
        let password = try Prompt.password(fromStdin: passwordStdin, confirm: true)
        return try await cli.api.signup(email: email, displayName: name, password: password)
    }

    /// Logs in to `cli.server` (the tokens are stored).
    static func login(_ cli: CLIContext, email: String?, passwordStdin: Bool) async throws -> TokenPair {
        let email = try Prompt.value(email, option: "--email", prompt: "Email: ", allowed: !passwordStdin)
        let password = try Prompt.password(fromStdin: passwordStdin)
        return try await cli.api.login(email: email, password: password)
    }
}
