import ArgumentParser
import Foundation
import MeshClient
import MeshProtocol

/// `mesh signup`: create an account and log in.
struct SignupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "signup", abstract: "Create an account and log in.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Your email address.") var email: String?
    @Option(help: "The name other participants see.") var name: String?
    @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

    func run() async throws {
        try await CLIContext.run(common) { cli in
            let tokens = try await Authentication.signup(cli, email: email, name: name, passwordStdin: passwordStdin)
            try cli.output(OutputWithField(tokens.user, adding: "server", cli.server)) {
                "Signed up and logged in as \(tokens.user.displayName) <\(tokens.user.email)> on \(cli.server)."
            }
        }
    }
}

/// `mesh login`.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a Mesh server.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Your email address.") var email: String?
    @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

    func run() async throws {
        try await CLIContext.run(common) { cli in
            let tokens = try await Authentication.login(cli, email: email, passwordStdin: passwordStdin)
            try cli.output(OutputWithField(tokens.user, adding: "server", cli.server)) {
                "Logged in as \(tokens.user.displayName) <\(tokens.user.email)> on \(cli.server)."
            }
        }
    }
}

/// `mesh logout`: revoke the login on the server and forget it here.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out and forget the stored tokens.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await CLIContext.run(common) { cli in
            guard await cli.api.credentials?.isLoggedIn == true else {
                try cli.output(["loggedOut": true]) { "Not logged in to \(cli.server)." }
                return
            }
            do {
                try await cli.api.logout()
            } catch let error as MeshAPIError {
                cli.warn("the server was not told (\(error.message)); the local login is forgotten anyway")
            }
            try cli.output(["loggedOut": true]) { "Logged out of \(cli.server)." }
        }
    }
}

/// `mesh whoami`.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show who you are logged in as.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await CLIContext.run(common) { cli in
            let user = try await cli.api.me()
            try cli.output(OutputWithField(user, adding: "server", cli.server)) {
                "\(user.displayName) <\(user.email)>\(user.emailVerified ? "" : " (email not verified)")\n"
                    + "user id: \(user.id.uuidString)\nserver:  \(cli.server)"
            }
        }
    }
}
