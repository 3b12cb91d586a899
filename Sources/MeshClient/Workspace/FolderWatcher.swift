import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Watches a shared folder for files written, created, moved and deleted outside the editor
/// (a formatter, a code generator, `git checkout`), and reports their paths — relative,
/// `/`-separated — in batches. On Linux it uses inotify: one watch per folder, added as folders
/// appear, so the tree is walked once at the start and never rescanned. Paths `ignored` says
/// to skip (`.git`, `.mesh`, what `.gitignore` lists) are neither watched nor reported.
///
/// A batch is reported once no event has come for `settle` (a tool writing several files, or
/// one file in several steps, gives one batch). What a path's change was is for the reader to
/// find out from the disk: the watcher says only that it may have changed — and, for a path
/// moved within the folder (`rename(2)`: inotify's `IN_MOVED_FROM` and `IN_MOVED_TO` with one
/// cookie), where it went (``Move``). Whether a move is a rename of a file the reader knows is
/// for the reader to decide: an editor's atomic save moves a temporary file over the one it
/// saves, and Vim may move the file away to a backup before writing it anew.
public final class FolderWatcher: Sendable {
    /// One path moved within the folder: a file, or a folder (both paths ending in `/`).
    public struct Move: Sendable, Hashable {
        public var from: String
        public var to: String
    }

    /// One batch: every path that may have changed (both ends of a move among them, and the
    /// files below a folder moved in), and the moves among them, in order.
    public struct Batch: Sendable, Hashable {
        public var paths: Set<String>
        public var moves: [Move]
        public init(paths: Set<String>, moves: [Move] = []) {
            self.paths = paths
            self.moves = moves
        }
    }

    /// Pairs the two halves of inotify's moves by their cookie: `IN_MOVED_FROM` (the path
    /// moved away) and `IN_MOVED_TO` (where it arrived). A half without the other (moved in from
    /// outside the folder or from an ignored path, moved out or to an ignored path) is no move.
    public struct MovePairing: Sendable {
        private var away: [UInt32: String] = [:]
        /// The moves paired so far, in order.
        public private(set) var moves: [Move] = []

        public init() {}

        /// `path` was moved away (`IN_MOVED_FROM`) with `cookie`.
        public mutating func movedFrom(_ path: String, cookie: UInt32) {
            away[cookie] = path
        }

        /// `path` arrived (`IN_MOVED_TO`) with `cookie`: a move when its other half was seen.
        public mutating func movedTo(_ path: String, cookie: UInt32) {
            guard let from = away.removeValue(forKey: cookie) else { return }
            if from != path { moves.append(Move(from: from, to: path)) }
        }

        /// The moves paired so far; the halves still unpaired are forgotten (their paths were
        /// reported as changed anyway).
        public mutating func take() -> [Move] {
            defer { self = MovePairing() }
            return moves
        }
    }

    /// Batches of changed paths, in order; finishes when the watcher stops.
    public let changes: AsyncStream<Batch>
    private let continuation: AsyncStream<Batch>.Continuation
    private let state: Watching

    /// Starts watching `root`. `ignored(path, isDirectory)` is asked of every relative path.
    public init(root: URL, settle: Duration = .milliseconds(50),
                ignored: @escaping @Sendable (String, Bool) -> Bool) throws {
        (changes, continuation) = AsyncStream.makeStream(of: Batch.self)
        state = try Watching(root: root.standardizedFileURL, settle: settle, ignored: ignored, continuation: continuation)
        state.start()
    }

    /// Stops watching; ``changes`` finishes.
    public func stop() {
        state.stop()
    }

    deinit { state.stop() }
}

#if os(Linux)
/// The inotify side: a thread blocked in `poll` on the inotify descriptor.
private final class Watching: Sendable {
    // The descriptor is read by the one watcher thread; the rest of the state is `state`'s.
    private let root: URL
    private let settle: Duration
    private let ignored: @Sendable (String, Bool) -> Bool
    private let continuation: AsyncStream<FolderWatcher.Batch>.Continuation
    private let fd: Int32
    private let state = Mutex(State())

    private struct State {
        /// The watched folders by watch descriptor.
        var folders: [Int32: String] = [:]
        var stopped = false
    }
    private static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF)

    init(root: URL, settle: Duration, ignored: @escaping @Sendable (String, Bool) -> Bool,
         continuation: AsyncStream<FolderWatcher.Batch>.Continuation) throws {
        self.root = root
        self.settle = settle
        self.ignored = ignored
        self.continuation = continuation
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw WorkspaceError("cannot watch \(root.path): inotify_init1 failed (errno \(errno))") }
        _ = watchTree("")
    }

    /// Adds watches for `folder` and every folder below it that is not ignored; returns the
    /// files found in them (created before their folder's watch existed).
    private func watchTree(_ folder: String) -> [String] {
        let url = folder.isEmpty ? root : root.appendingPathComponent(folder)
        let wd = inotify_add_watch(fd, url.path, Self.mask)
        guard wd >= 0 else { return [] }
        state.withLock { $0.folders[wd] = folder }
        var files: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names {
            let path = folder.isEmpty ? name : folder + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory) else { continue }
            if ignored(path, isDirectory.boolValue) { continue }
            if isDirectory.boolValue { files += watchTree(path) } else { files.append(path) }
        }
        return files
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "mesh-folder-watcher"
        thread.start()
    }

    func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        if first { continuation.finish() }
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func run() {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var pending: Set<String> = []
        var pairing = FolderWatcher.MovePairing()
        var deadline: ContinuousClock.Instant?
        while !isStopped {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // Short waits while a batch settles, longer ones while idle (and to see stop()).
            let ready = poll(&poller, 1, deadline == nil ? 200 : 10)
            if ready > 0 {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    pending.formUnion(events(in: buffer, count: count, pairing: &pairing))
                    deadline = .now + settle
                }
            }
            if let due = deadline, ContinuousClock.now >= due {
                deadline = nil
                let moves = pairing.take()
                if !pending.isEmpty { continuation.yield(FolderWatcher.Batch(paths: pending, moves: moves)) }
                pending.removeAll()
            }
        }
    }

    /// The paths that `count` bytes of inotify events name; new folders are watched (and the
    /// files already in them reported).
    private func events(in buffer: [UInt8], count: Int, pairing: inout FolderWatcher.MovePairing) -> Set<String> {
        var paths: Set<String> = []
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= count {
            let (wd, mask, cookie, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, UInt32, Int) in
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (event.wd, event.mask, event.cookie, Int(event.len))
            }
            let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)]
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            offset += header + length
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                // Events were lost: everything may have changed.
                paths.formUnion(rescan())
                continue
            }
            guard let folder = state.withLock({ $0.folders[wd] }) else { continue }
            if mask & UInt32(IN_IGNORED) != 0 || mask & UInt32(IN_DELETE_SELF) != 0 {
                _ = state.withLock { $0.folders.removeValue(forKey: wd) }
                continue
            }
            guard !name.isEmpty else { continue }
            let path = folder.isEmpty ? name : folder + "/" + name
            let isDirectory = mask & UInt32(IN_ISDIR) != 0
            if ignored(path, isDirectory) { continue }
            let moved = isDirectory ? path + "/" : path
            if mask & UInt32(IN_MOVED_FROM) != 0 { pairing.movedFrom(moved, cookie: cookie) }
            if mask & UInt32(IN_MOVED_TO) != 0 { pairing.movedTo(moved, cookie: cookie) }
            if isDirectory {
                if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { paths.formUnion(watchTree(path)) }
                else { paths.insert(path + "/") }   // a folder deleted or moved away: the reader looks below it
            } else if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) != 0 {
                // A file is reported once written and closed (or moved in, or gone), never at
                // its creation, when it may still be half written.
                paths.insert(path)
            }
        }
        return paths
    }

    /// Every file under the root (after an overflow).
    private func rescan() -> [String] {
        let wds = state.withLock { Array($0.folders.keys) }
        for wd in wds { inotify_rm_watch(fd, wd) }
        state.withLock { $0.folders.removeAll() }
        return watchTree("")
    }
}
#else
/// Elsewhere (macOS): no inotify; a scan of modification times every second (documented as a
/// limitation: large trees cost a walk per second).
private final class Watching: Sendable {
    private let root: URL
    private let ignored: @Sendable (String, Bool) -> Bool
    private let continuation: AsyncStream<FolderWatcher.Batch>.Continuation
    private let stopped = Mutex(false)

    init(root: URL, settle: Duration, ignored: @escaping @Sendable (String, Bool) -> Bool,
         continuation: AsyncStream<FolderWatcher.Batch>.Continuation) throws {
        self.root = root
        self.ignored = ignored
        self.continuation = continuation
    }

    func start() {
        let thread = Thread { [self] in
            var known = scan()
            while !stopped.withLock({ $0 }) {
                Thread.sleep(forTimeInterval: 1)
                let now = scan()
                var changed = Set(now.filter { known[$0.key] != $0.value }.keys)
                changed.formUnion(known.keys.filter { now[$0] == nil })
                known = now
                if !changed.isEmpty { continuation.yield(FolderWatcher.Batch(paths: changed)) }
            }
        }
        thread.start()
    }

    func stop() {
        let first = stopped.withLock { stopped -> Bool in defer { stopped = true }; return !stopped }
        if first { continuation.finish() }
    }

    private func scan() -> [String: Date] {
        var result: [String: Date] = [:]
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.contentModificationDateKey, .isDirectoryKey]) else { return result }
        for case let url as URL in walker {
            let path = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .isDirectoryKey])
            let isDirectory = values?.isDirectory ?? false
            if ignored(path, isDirectory) { if isDirectory { walker.skipDescendants() }; continue }
            if !isDirectory { result[path] = values?.contentModificationDate ?? .distantPast }
        }
        return result
    }
}
#endif
