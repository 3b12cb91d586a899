import ArgumentParser
import Foundation
import MeshClient

/// `mesh share [DIR]`: create a session from a folder's text files and print an invite link.
struct ShareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "Share a folder: create a session with its text files and print an editor invite.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The folder to share.") var directory = "."
    @Option(help: "The session's name (default: the folder's name).") var name: String?
    @Option(help: "Largest file shared, in bytes.") var maxFileSize = 1 << 20

    func run() async throws {
        try await CLIContext.run(common) { cli in
            let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
            let shared: WorkspaceSharing.Shared
            do {
                shared = try await WorkspaceSharing.share(root, name: name, maxFileSize: maxFileSize, api: cli.api)
            } catch let error as WorkspaceError {
                throw CLIError(error.description)
            }
            for file in shared.skipped where !cli.options.json { cli.warn("skipped \(file.path): \(file.reason)") }
            try cli.output(shared) {
                "Shared \(shared.files.count) file(s) as session \"\(shared.session.name)\" (\(shared.session.id.uuidString)).\n"
                    + "Invite others (editor, \(shared.invite.maxUses) uses) with this link; they run:\n"
                    + "  mesh join \(shared.url)\n"
                    + InviteText.codeLine(shared.invite.code, server: cli.server)
            }
        }
    }
}
