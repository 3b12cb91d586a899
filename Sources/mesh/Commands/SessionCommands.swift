import ArgumentParser
import Foundation
import MeshClient
import MeshProtocol

extension Role: ExpressibleByArgument {}

/// `mesh session …`: sessions, members and invites.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Create, list and manage collaboration sessions.",
        subcommands: [Create.self, List.self, Show.self, Delete.self, Invite.self, Members.self, SetRole.self, Kick.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a session (you become its owner).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The session's name.") var name: String

        func run() async throws {
            try await CLIContext.run(common) { cli in
                let session = try await cli.api.createSession(name: name)
                try cli.output(session) { "Created session \"\(session.name)\" (\(session.id.uuidString))." }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the sessions you are a member of.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await CLIContext.run(common) { cli in
                let sessions = try await cli.api.sessions()
                try cli.output(sessions) {
                    sessions.isEmpty ? "No sessions."
                        : sessions.map { "\($0.id.uuidString)  \($0.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \($0.name)" }
                        .joined(separator: "\n")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a session and its documents.")
        @OptionGroup var target: SessionTarget

        struct Details: Encodable { var session: SessionInfo; var documents: [DocumentInfo] }

        func run() async throws {
            try await target.run { cli, id in
                let details = Details(session: try await cli.api.session(id), documents: try await cli.api.documents(of: id))
                try cli.output(details) {
                    let s = details.session
                    return (["\(s.name) (\(s.id.uuidString)), your role: \(s.role.rawValue)",
                             "\(details.documents.count) document(s):"]
                        + details.documents.map { "  \($0.path)  (\($0.size) bytes, rev \($0.revision))" })
                        .joined(separator: "\n")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a session (owner).")
        @OptionGroup var target: SessionTarget

        func run() async throws {
            try await target.run { cli, id in
                try await cli.api.deleteSession(id)
                try cli.output(["deleted": id.uuidString]) { "Deleted session \(id.uuidString)." }
            }
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an invite link and code (owner).")
        @OptionGroup var target: SessionTarget
        @Option(help: "The role the invite grants: editor or viewer.") var role: Role = .editor
        @Option(help: "Seconds until the invite expires (default: a week).") var expires: Double?
        @Option(help: "How many people may use it (default: 10).") var maxUses: Int?

        func run() async throws {
            try await CLIContext.run(target.common) { cli in
                guard role.isGrantable else { throw CLIError("an invite grants editor or viewer, not owner") }
                let id = try await cli.resolveSession(target.session)
                let invite = try await cli.api.createInvite(session: id, role: role, expiresInSeconds: expires, maxUses: maxUses)
                let url = InviteLink(server: cli.server, code: invite.code).url
                try cli.output(OutputWithField(invite, adding: "url", url)) {
                    "Invite (\(invite.role.rawValue), \(invite.maxUses) use(s), expires \(invite.expiresAt.formatted(.iso8601))):\n"
                        + "  \(url)\nJoin with: mesh join \(url)\n"
                        + InviteText.codeLine(invite.code, server: cli.server)
                }
            }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a session's members.")
        @OptionGroup var target: SessionTarget

        func run() async throws {
            try await target.run { cli, id in
                let members = try await cli.api.members(of: id)
                try cli.output(members) {
                    members.map {
                        "\($0.userID.uuidString)  \($0.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  "
                            + "\($0.displayName)\($0.online ? "  (online)" : "")"
                    }.joined(separator: "\n")
                }
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "role", abstract: "Change a member's role (owner).")
        @OptionGroup var target: SessionTarget
        @Argument(help: "The member: user id, email or display name.") var user: String
        @Argument(help: "editor or viewer.") var role: Role

        func run() async throws {
            try await CLIContext.run(target.common) { cli in
                guard role.isGrantable else { throw CLIError("a role change grants editor or viewer, not owner: a session has exactly one owner") }
                let id = try await cli.resolveSession(target.session)
                let member = try await cli.api.setRole(session: id, user: try await cli.resolveMember(user, session: id), role: role)
                try cli.output(member) { "\(member.displayName) is now \(member.role.rawValue)." }
            }
        }
    }

    struct Kick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a member (owner), or leave (yourself).")
        @OptionGroup var target: SessionTarget
        @Argument(help: "The member: user id, email or display name.") var user: String

        func run() async throws {
            try await target.run { cli, id in
                let member = try await cli.resolveMember(user, session: id)
                try await cli.api.removeMember(session: id, user: member)
                try cli.output(["removed": member.uuidString]) { "Removed \(user) from the session." }
            }
        }
    }
}

/// The human text around an invite.
enum InviteText {
    /// The bare code, and when it works on its own.
    static func codeLine(_ code: String, server: String) -> String {
        "Invite code: \(code) (`mesh join \(code)` works for someone already logged in to \(server))"
    }
}
