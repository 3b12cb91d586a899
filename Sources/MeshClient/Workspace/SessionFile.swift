import Foundation

/// `.mesh/session.json`: which server and session a workspace folder belongs to. Written by
/// `mesh share` and `mesh join`; read by `mesh lsp` and `mesh dap` to find their session.
public struct SessionFile: Sendable, Hashable, Codable {
    public var server: String
    public var session: String
    public var name: String?

    public init(server: String, session: String, name: String? = nil) {
        self.server = server
        self.session = session
        self.name = name
    }

    public static let relativePath = ".mesh/session.json"

    /// Writes the file into `workspace/.mesh/`.
    public func write(to workspace: URL) throws {
        let dir = workspace.appendingPathComponent(".mesh")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: dir.appendingPathComponent("session.json"), options: .atomic)
    }

    /// Walks up from `start` to the nearest folder holding `.mesh/session.json`; returns the
    /// file and that folder (the workspace root).
    public static func discover(from start: URL) -> (file: SessionFile, root: URL)? {
        var dir = start.standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent(relativePath)
            if let data = try? Data(contentsOf: candidate),
               let file = try? JSONDecoder().decode(SessionFile.self, from: data) {
                return (file, dir)
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }
}
