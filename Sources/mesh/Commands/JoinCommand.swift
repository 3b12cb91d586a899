import ArgumentParser
import Foundation
import MeshClient
import MeshProtocol

/// `mesh join INVITE [DIR]`: join a session and write its documents into a folder.
struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join a session with an invite code and write its files into a folder.")

    @OptionGroup var common: CommonOptions
    @Argument(help: "The invite code.") var invite: String
    @Argument(help: "The folder to write the session's files into.") var directory = "."
    @Flag(help: "Overwrite existing files that differ from the session's.") var force = false

    struct Joined: Encodable { var session: SessionInfo; var directory: String; var files: [String] }

    func run() async throws {
        try await CLIContext.run(common) { cli in
            let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
            let session = try await cli.api.join(invite: invite)
            var contents: [(path: String, data: Data)] = []
            for document in try await cli.api.documents(of: session.id) {
                guard let path = Self.safePath(document.path) else {
                    cli.warn("skipping \(String(reflecting: document.path)): not a safe workspace path")
                    continue
                }
                let content = try await cli.api.document(session: session.id, id: document.id)
                contents.append((path, Data(content.text.utf8)))
            }
            try Self.checkConflicts(contents, in: root, force: force)
            for (path, data) in contents {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url, options: .atomic)
            }
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try SessionFile(server: cli.server, session: session.id.uuidString, name: session.name).write(to: root)
            let files = contents.map(\.path).sorted()
            try cli.output(Joined(session: session, directory: root.path, files: files)) {
                "Joined \"\(session.name)\" as \(session.role.rawValue); wrote \(files.count) file(s) to \(root.path)."
            }
        }
    }

    /// The path if it is valid and stays out of `.git/` and `.mesh/`, else nil.
    static func safePath(_ path: String) -> String? {
        guard let valid = try? DocumentPath.validate(path),
              let first = valid.split(separator: "/").first,
              !WorkspaceScanner.alwaysSkipped.contains(String(first))
        else { return nil }
        return valid
    }

    /// Refuses, before writing anything, to replace differing files (unless `force`) or folders.
    static func checkConflicts(_ contents: [(path: String, data: Data)], in root: URL, force: Bool) throws {
        var differing: [String] = []
        for (path, data) in contents {
            let url = root.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue { throw CLIError("\(url.path) is a folder; the session has a file there") }
            if (try? Data(contentsOf: url)) != data { differing.append(path) }
        }
        guard force || differing.isEmpty else {
            let list = differing.prefix(10).joined(separator: ", ") + (differing.count > 10 ? ", …" : "")
            throw CLIError("\(differing.count) existing file(s) differ from the session's: \(list); nothing was written (use --force to overwrite)")
        }
    }
}
