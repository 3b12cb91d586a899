import Foundation
import MeshProtocol

/// Lists the text files of a workspace folder for `mesh share`: honours `.gitignore` files
/// (root and nested), always skips `.git/` and `.mesh/` (and names aliasing them elsewhere), skips symbolic links, binary files
/// (a NUL byte in the first 8 KiB, or invalid UTF-8) and files over ``maxFileSize``.
public struct WorkspaceScanner: Sendable {
    /// Why a file was left out (ignored files are not reported).
    public enum SkipReason: Sendable, Hashable, CustomStringConvertible {
        case binary
        case tooLarge(bytes: Int)
        case symbolicLink
        case invalidPath(String)
        case unreadable(String)

        public var description: String {
            switch self {
            case .binary: "binary"
            case let .tooLarge(bytes): "too large (\(bytes) bytes)"
            case .symbolicLink: "symbolic link"
            case let .invalidPath(why): "invalid path: \(why)"
            case let .unreadable(why): "unreadable: \(why)"
            }
        }
    }

    public struct Skipped: Sendable, Hashable {
        public var path: String
        public var reason: SkipReason
    }

    /// The scan's outcome: workspace-relative `/` paths, sorted.
    public struct Result: Sendable {
        public var files: [String]
        public var skipped: [Skipped]
    }

    /// Folders never entered, wherever they are.
    public static let alwaysSkipped: Set<String> = [".git", ".mesh"]
    /// How many leading bytes are searched for a NUL.
    public static let binaryProbeLength = 8192

    public var maxFileSize: Int

    public init(maxFileSize: Int = 1 << 20) {
        self.maxFileSize = maxFileSize
    }

    /// Scans `root` recursively.
    public func scan(_ root: URL) throws -> Result {
        var files: [String] = [], skipped: [Skipped] = []
        var matcher = IgnoreMatcher()
        try walk(root, relative: "", matcher: &matcher, files: &files, skipped: &skipped)
        return Result(files: files.sorted(), skipped: skipped.sorted { $0.path < $1.path })
    }

    /// The text of a scanned file, or nil when it is not (or no longer) a text file in bounds.
    public func readText(_ path: String, in root: URL) throws -> String? {
        let url = root.appendingPathComponent(path)
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxFileSize else { return nil }
        return Self.text(of: try Data(contentsOf: url))
    }

    /// The data as UTF-8 text, or nil when it looks binary.
    public static func text(of data: Data) -> String? {
        guard !data.prefix(binaryProbeLength).contains(0) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // Decoding replaces invalid sequences with U+FFFD, so valid UTF-8 survives unchanged.
        return text.utf8.elementsEqual(data) ? text : nil
    }

    private func walk(_ directory: URL, relative: String, matcher: inout IgnoreMatcher,
                      files: inout [String], skipped: inout [Skipped]) throws {
        let manager = FileManager.default
        let names = try manager.contentsOfDirectory(atPath: directory.path).sorted()
        let saved = matcher
        defer { matcher = saved }
        if names.contains(".gitignore"),
           let data = try? Data(contentsOf: directory.appendingPathComponent(".gitignore")) {
            matcher.add(GitIgnore(String(decoding: data, as: UTF8.self), base: relative))
        }
        for name in names where !Self.alwaysSkipped.contains(name) && !WorkspaceWriter.aliasesProtectedName(name) {
            let path = relative.isEmpty ? name : relative + "/" + name
            let url = directory.appendingPathComponent(name)
            guard let attributes = try? manager.attributesOfItem(atPath: url.path) else {
                skipped.append(Skipped(path: path, reason: .unreadable("cannot stat")))
                continue
            }
            let type = attributes[.type] as? FileAttributeType
            let isDirectory = type == .typeDirectory
            if matcher.isIgnored(path, isDirectory: isDirectory) { continue }
            if type == .typeSymbolicLink {
                skipped.append(Skipped(path: path, reason: .symbolicLink))
            } else if isDirectory {
                try walk(url, relative: path, matcher: &matcher, files: &files, skipped: &skipped)
            } else if type == .typeRegular {
                if let reason = check(url, path: path, size: (attributes[.size] as? NSNumber)?.intValue ?? 0) {
                    skipped.append(Skipped(path: path, reason: reason))
                } else {
                    files.append(path)
                }
            }
        }
    }

    /// Why the file cannot be shared, or nil when it can.
    private func check(_ url: URL, path: String, size: Int) -> SkipReason? {
        do {
            _ = try DocumentPath.validate(path)
        } catch {
            return .invalidPath(error.message)
        }
        guard size <= maxFileSize else { return .tooLarge(bytes: size) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            return .unreadable(error.localizedDescription)
        }
        guard data.count <= maxFileSize else { return .tooLarge(bytes: data.count) }
        return Self.text(of: data) == nil ? .binary : nil
    }
}
