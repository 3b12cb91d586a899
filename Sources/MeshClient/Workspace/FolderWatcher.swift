import Foundation
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
/// find out from the disk: the watcher says only that it may have changed.
public final class FolderWatcher: Sendable {
    /// Batches of changed paths, in order; finishes when the watcher stops.
    public let changes: AsyncStream<Set<String>>
    private let continuation: AsyncStream<Set<String>>.Continuation
    private let state: Watching

    /// Starts watching `root`. `ignored(path, isDirectory)` is asked of every relative path.
    public init(root: URL, settle: Duration = .milliseconds(50),
                ignored: @escaping @Sendable (String, Bool) -> Bool) throws {
        (changes, continuation) = AsyncStream.makeStream(of: Set<String>.self)
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
private final class Watching: @unchecked Sendable {
    // @unchecked: `folders` and `stopped` are touched only under `lock`; the descriptor is
    // read by the one watcher thread.
    private let root: URL
    private let settle: Duration
    private let ignored: @Sendable (String, Bool) -> Bool
    private let continuation: AsyncStream<Set<String>>.Continuation
    private let fd: Int32
    private let lock = NSLock()
    private var folders: [Int32: String] = [:]
    private var stopped = false
    private static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF)

    init(root: URL, settle: Duration, ignored: @escaping @Sendable (String, Bool) -> Bool,
         continuation: AsyncStream<Set<String>>.Continuation) throws {
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
        lock.withLock { folders[wd] = folder }
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
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first { continuation.finish() }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func run() {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var pending: Set<String> = []
        var deadline: ContinuousClock.Instant?
        while !isStopped {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // Short waits while a batch settles, longer ones while idle (and to see stop()).
            let ready = poll(&poller, 1, deadline == nil ? 200 : 10)
            if ready > 0 {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    pending.formUnion(events(in: buffer, count: count))
                    deadline = .now + settle
                }
            }
            if let due = deadline, ContinuousClock.now >= due {
                deadline = nil
                if !pending.isEmpty { continuation.yield(pending) }
                pending.removeAll()
            }
        }
    }

    /// The paths that `count` bytes of inotify events name; new folders are watched (and the
    /// files already in them reported).
    private func events(in buffer: [UInt8], count: Int) -> Set<String> {
        var paths: Set<String> = []
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= count {
            let (wd, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (event.wd, event.mask, Int(event.len))
            }
            let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)]
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            offset += header + length
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                // Events were lost: everything may have changed.
                paths.formUnion(rescan())
                continue
            }
            guard let folder = lock.withLock({ folders[wd] }) else { continue }
            if mask & UInt32(IN_IGNORED) != 0 || mask & UInt32(IN_DELETE_SELF) != 0 {
                _ = lock.withLock { folders.removeValue(forKey: wd) }
                continue
            }
            guard !name.isEmpty else { continue }
            let path = folder.isEmpty ? name : folder + "/" + name
            let isDirectory = mask & UInt32(IN_ISDIR) != 0
            if ignored(path, isDirectory) { continue }
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
        let wds = lock.withLock { Array(folders.keys) }
        for wd in wds { inotify_rm_watch(fd, wd) }
        lock.withLock { folders.removeAll() }
        return watchTree("")
    }
}
#else
/// Elsewhere (macOS): no inotify; a scan of modification times every second (documented as a
/// limitation: large trees cost a walk per second).
private final class Watching: @unchecked Sendable {
    private let root: URL
    private let ignored: @Sendable (String, Bool) -> Bool
    private let continuation: AsyncStream<Set<String>>.Continuation
    private let lock = NSLock()
    private var stopped = false

    init(root: URL, settle: Duration, ignored: @escaping @Sendable (String, Bool) -> Bool,
         continuation: AsyncStream<Set<String>>.Continuation) throws {
        self.root = root
        self.ignored = ignored
        self.continuation = continuation
    }

    func start() {
        let thread = Thread { [self] in
            var known = scan()
            while !lock.withLock({ stopped }) {
                Thread.sleep(forTimeInterval: 1)
                let now = scan()
                var changed = Set(now.filter { known[$0.key] != $0.value }.keys)
                changed.formUnion(known.keys.filter { now[$0] == nil })
                known = now
                if !changed.isEmpty { continuation.yield(changed) }
            }
        }
        thread.start()
    }

    func stop() {
        let first = lock.withLock { () -> Bool in defer { stopped = true }; return !stopped }
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
