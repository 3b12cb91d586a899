import ArgumentParser
import Foundation
import MeshClient
import MeshProtocol

/// `mesh join INVITE [DIR]`: join a session and write its documents into a folder. INVITE is an
/// invite link (`<server>/join/<code>`, which names the server: with no login there yet, join
/// logs in or signs up first) or a bare code (of the server you are logged in to).
struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join a session with an invite link (or code) and write its files into a folder.",
        discussion: """
            INVITE is the link `mesh share` and `mesh session invite` print, such as \
            http://127.0.0.1:7420/join/9nmf2…: the server comes from it, and with no login to that \
            server yet, join asks (on a terminal) whether to log in or sign up there. Without a \
            terminal, pass --email and --password-stdin to log in, plus --name to sign up. \
            A bare invite code still works with the server you are logged in to.
            """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "The invite link (http://server/join/CODE) or the bare invite code.") var invite: String
    @Argument(help: "The folder to write the session's files into.") var directory = "."
    @Flag(help: "Overwrite existing files that differ from the session's.") var force = false
    @Option(help: "With an invite link and no login to its server: the email to log in (or sign up) with.")
    var email: String?
    @Option(help: "With an invite link and no login to its server: sign up with this display name (without it, log in).")
    var name: String?
    @Flag(help: "With an invite link and no login to its server: read the password from the first line of stdin.")
    var passwordStdin = false

    func run() async throws {
        let link: InviteLink?
        do {
            link = InviteLink.looksLikeLink(invite) ? try InviteLink(parsing: invite) : nil
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        try await CLIContext.run(common, server: link?.server) { cli in
            let code: String
            if let link {
                if let flag = common.server, CredentialStore.normalize(flag) != link.server {
                    throw CLIError("the invite link is for \(link.server), not --server \(CredentialStore.normalize(flag))")
                }
                try await logInIfNeeded(cli, link: link)
                code = link.code
            } else {
                guard email == nil, name == nil, !passwordStdin else {
                    throw CLIError("--email, --name and --password-stdin go with an invite link (http://server/join/CODE); "
                                   + "with a bare code, log in first (`mesh login`)")
                }
                code = invite
            }
            let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
            let joined: WorkspaceSharing.Joined
            do {
                joined = try await WorkspaceSharing.join(invite: code, into: root, force: force, api: cli.api) { cli.warn($0) }
            } catch let error as WorkspaceError {
                throw CLIError(error.description)
            }
            try cli.output(joined) {
                "Joined \"\(joined.session.name)\" as \(joined.session.role.rawValue); wrote \(joined.files.count) file(s) to \(joined.directory)."
            }
        }
    }

    private enum Entry { case login, signup }

    /// With no login to the link's server: logs in or signs up there, as the options say, else
    /// as the person at the terminal chooses; without options or a terminal, fails naming the
    /// commands to run.
    private func logInIfNeeded(_ cli: CLIContext, link: InviteLink) async throws {
        guard await cli.api.credentials?.isLoggedIn != true else { return }
        let server = cli.server
        let entry: Entry
        if name != nil {
            entry = .signup
        } else if email != nil || passwordStdin {
            entry = .login
        } else if Prompt.isInteractive {
            let question = "You are not logged in to \(server). Log in (l) or sign up (s) there? [l/s, Enter cancels] "
            guard let chosen = Prompt.choose(question, [(answers: ["l", "login", "log in"], choice: Entry.login),
                                                       (answers: ["s", "signup", "sign up"], choice: Entry.signup)]) else {
                throw CLIError("not joined: not logged in to \(server)")
            }
            entry = chosen
        } else {
            throw CLIError("not logged in to \(server), the server of this invite: run `mesh login --server \(server)` "
                           + "(or `mesh signup --server \(server)` for a new account), then `mesh join \(link.url)` again; "
                           + "or pass --email and --password-stdin (and --name to sign up) to mesh join")
        }
        if let stored = try? cli.store.load(), stored.isLoggedIn, CredentialStore.normalize(stored.server) != server {
            cli.warn("this replaces your login to \(stored.server) (mesh keeps one login at a time)")
        }
        if Self.isPlainHTTPToAnotherHost(server) {
            cli.warn("\(server) is plain http: your password travels unencrypted")
        }
        let tokens: TokenPair
        switch entry {
        case .signup: tokens = try await Authentication.signup(cli, email: email, name: name, passwordStdin: passwordStdin)
        case .login: tokens = try await Authentication.login(cli, email: email, passwordStdin: passwordStdin)
        }
        if !cli.options.json {
            print("\(entry == .signup ? "Signed up and logged in" : "Logged in") as \(tokens.user.displayName) "
                  + "<\(tokens.user.email)> on \(server).")
        }
    }

    /// An `http://` server that is not this machine.
    static func isPlainHTTPToAnotherHost(_ server: String) -> Bool {
        guard let url = URL(string: server), url.scheme?.lowercased() == "http", let host = url.host?.lowercased() else { return false }
        return !(host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]")
    }
}
