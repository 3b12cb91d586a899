import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a session's documents into a participant's folder without leaving it.
///
/// A document path comes from other people, so before anything is written:
/// - no segment may alias a protected folder (`.git`, `.mesh`) on any file system: names are
///   compared after Unicode compatibility normalization, case folding, dropping the code points
///   HFS+ ignores (zero-width joiners, bidi marks, BOM), dropping what Windows drops (trailing
///   dots and spaces, an `:alternate-stream` suffix) and recognising 8.3 short names (`GIT~1`);
/// - no existing component below the root may be a symbolic link (nor the file itself), so a
///   write never lands outside the folder or replaces a link the participant made.
public enum WorkspaceWriter {
    /// Folder names whose contents a session must never write (git runs `.git/config`'s hooks).
    public static let protectedNames: Set<String> = [".git", ".mesh"]

    /// The first segment of `path` that aliases a protected name, or nil.
    public static func protectedSegment(in path: String) -> String? {
        path.split(separator: "/").first { aliasesProtectedName(String($0)) }.map(String.init)
    }

    /// Whether a single file name is, on some file system, the same name as `.git` or `.mesh`.
    public static func aliasesProtectedName(_ name: String) -> Bool {
        var folded = name.precomposedStringWithCompatibilityMapping.lowercased()
        folded.unicodeScalars.removeAll(where: isIgnoredByHFS)
        if let colon = folded.firstIndex(of: ":") { folded = String(folded[..<colon]) }
        while let last = folded.last, last == "." || last == " " { folded.removeLast() }
        if protectedNames.contains(folded) { return true }
        // Windows short names: `.git` is also `GIT~1`, `.mesh` is `MESH~1` (any digit).
        for protected in protectedNames {
            let stem = protected.drop(while: { $0 == "." })
            guard folded.hasPrefix(stem + "~") else { continue }
            let digits = folded.dropFirst(stem.count + 1)
            if !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) { return true }
        }
        return false
    }

    /// Code points HFS+ leaves out when it compares names (as git's `is_hfs_dotgit` lists them).
    static func isIgnoredByHFS(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200C...0x200F, 0x202A...0x202E, 0x206A...0x206F, 0xFEFF: true
        default: false
        }
    }

    /// Writes `data` to `root/path` atomically, creating folders as needed.
    /// - Throws: ``WorkspaceError`` when the path aliases a protected name or passes through (or
    ///   ends at) a symbolic link; file system errors otherwise.
    public static func write(_ data: Data, to path: String, in root: URL) throws {
        if let segment = protectedSegment(in: path) {
            throw WorkspaceError("refusing to write \(String(reflecting: path)): \(String(reflecting: segment)) is a protected name")
        }
        // The folder itself is the participant's choice (it may be a link, or not exist yet).
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var directory = root
        let segments = path.split(separator: "/").map(String.init)
        for (index, segment) in segments.enumerated() {
            let url = directory.appendingPathComponent(segment)
            switch fileType(url) {
            case .symbolicLink:
                throw WorkspaceError("refusing to write \(String(reflecting: path)): \(url.path) is a symbolic link")
            case .missing where index < segments.count - 1:
                do {
                    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
                } catch where fileType(url) == .directory {
                    // Made by someone else in the meantime: checked again below.
                }
                guard fileType(url) == .directory else {
                    throw WorkspaceError("refusing to write \(String(reflecting: path)): \(url.path) is not a folder")
                }
            case .other where index < segments.count - 1:
                throw WorkspaceError("cannot write \(String(reflecting: path)): \(url.path) is not a folder")
            default:
                break
            }
            directory = url
        }
        // The atomic write renames a temporary file over the target: a link put there after
        // the check is replaced, never followed.
        try data.write(to: directory, options: .atomic)
    }

    /// Moves the file `root/from` to `root/to`, for a rename made in the session (`mesh lsp`'s
    /// `DocumentBridge.moveDocument`): `data`, what was read at `from`, is written to `to` by
    /// ``write(_:to:in:)``, with all its refusals, and only then is `from` removed. Neither path
    /// may pass through a symbolic link (nor end at one): refused, nothing is written and `from` stays.
    /// - Throws: ``WorkspaceError`` when refused; file system errors otherwise.
    public static func move(_ data: Data, from: String, to: String, in root: URL) throws {
        if let link = symbolicLink(on: from, in: root) {
            throw WorkspaceError("refusing to move \(String(reflecting: from)): \(link.path) is a symbolic link")
        }
        try write(data, to: to, in: root)
        try FileManager.default.removeItem(at: root.appendingPathComponent(from))
    }

    /// The first component of `root/path` below the root that is a symbolic link, or nil.
    static func symbolicLink(on path: String, in root: URL) -> URL? {
        var url = root
        for segment in path.split(separator: "/") {
            url = url.appendingPathComponent(String(segment))
            if fileType(url) == .symbolicLink { return url }
        }
        return nil
    }

    enum FileType { case missing, directory, symbolicLink, other }

    /// The type of `url` itself (a link is not followed).
    static func fileType(_ url: URL) -> FileType {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFLNK: return .symbolicLink
        case S_IFDIR: return .directory
        default: return .other
        }
    }
}
