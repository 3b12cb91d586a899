import ArgumentParser
import Foundation
import MeshClient

/// `mesh join INVITE [DIR]`: join a session and write its documents into a folder.
struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join a session with an invite code and write its files into a folder.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The invite code.") var invite: String
    @Argument(help: "The folder to write the session's files into.") var directory = "."
    @Flag(help: "Overwrite existing files that differ from the session's.") var force = false

    func run() async throws {
        try await CLIContext.run(common) { cli in
            let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
            let joined: WorkspaceSharing.Joined
            do {
                joined = try await WorkspaceSharing.join(invite: invite, into: root, force: force, api: cli.api) { cli.warn($0) }
            } catch let error as WorkspaceError {
                throw CLIError(error.description)
            }
            try cli.output(joined) {
                "Joined \"\(joined.session.name)\" as \(joined.session.role.rawValue); wrote \(joined.files.count) file(s) to \(joined.directory)."
            }
        }
    }
}
