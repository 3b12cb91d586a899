import ArgumentParser
import Foundation
import MeshClient

/// `mesh share [DIR]`: create a session from a folder's text files and print an invite.
struct ShareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "Share a folder: create a session with its text files and print an editor invite.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The folder to share.") var directory = "."
    @Option(help: "The session's name (default: the folder's name).") var name: String?
    @Option(help: "Largest file shared, in bytes.") var maxFileSize = 1 << 20

    struct SkippedFile: Encodable { var path: String; var reason: String }
    struct Shared: Encodable {
        var session: SessionInfo
        var invite: InviteInfo
        var files: [String]
        var skipped: [SkippedFile]
    }

    func run() async throws {
        try await CLIContext.run(common) { cli in
            let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CLIError("\(root.path) is not a folder")
            }
            let scanner = WorkspaceScanner(maxFileSize: maxFileSize)
            let scan = try scanner.scan(root)
            var skipped = scan.skipped.map { SkippedFile(path: $0.path, reason: $0.reason.description) }
            let session = try await cli.api.createSession(name: name ?? root.lastPathComponent)
            var uploaded: [String] = []
            for path in scan.files {
                guard let text = try scanner.readText(path, in: root) else {
                    skipped.append(SkippedFile(path: path, reason: "changed while sharing"))
                    continue
                }
                do {
                    _ = try await cli.api.createDocument(session: session.id, path: path, text: text)
                    uploaded.append(path)
                } catch let error as MeshAPIError where (400..<500).contains(error.status) && error.status != 401 {
                    skipped.append(SkippedFile(path: path, reason: error.message))
                }
            }
            try SessionFile(server: cli.server, session: session.id.uuidString, name: session.name).write(to: root)
            let invite = try await cli.api.createInvite(session: session.id, role: .editor)
            for file in skipped where !cli.options.json { cli.warn("skipped \(file.path): \(file.reason)") }
            try cli.output(Shared(session: session, invite: invite, files: uploaded, skipped: skipped)) {
                "Shared \(uploaded.count) file(s) as session \"\(session.name)\" (\(session.id.uuidString)).\n"
                    + "Invite others (editor, \(invite.maxUses) uses):\n  mesh join \(invite.code)"
            }
        }
    }
}
