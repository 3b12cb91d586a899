import Foundation

/// A sequential editing trace (`Tests/Fixtures/traces/README.md`, josephg/editing-traces'
/// format): patches `[pos, del, ins]` in code points, applied in order to `startContent`. Read
/// by the benchmarks and the trace replay test.
public struct EditingTrace: Sendable {
    /// At `position`, delete `deleted` scalars, then insert `inserted`.
    public struct Patch: Decodable, Sendable {
        public var position: Int
        public var deleted: Int
        public var inserted: String

        /// `[pos, del, ins]`.
        public init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            position = try fields.decode(Int.self)
            deleted = try fields.decode(Int.self)
            inserted = try fields.decode(String.self)
        }
    }

    /// The file's name without `.json.gz`.
    public let name: String
    public let startContent: String
    /// The text after every patch: the check value.
    public let endContent: String
    /// The patches of every transaction, in order.
    public let patches: [Patch]

    /// Loads a gzipped trace by running `gzip -dc` (no zlib dependency).
    public static func load(_ url: URL) throws -> EditingTrace {
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "exec gzip -dc \"$0\"", url.path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        guard gzip.terminationStatus == 0 else { throw EditingTraceError("cannot decompress \(url.path)") }
        let raw = try JSONDecoder().decode(RawTrace.self, from: data)
        let name = url.lastPathComponent.replacingOccurrences(of: ".json.gz", with: "")
        return EditingTrace(name: name, startContent: raw.startContent, endContent: raw.endContent,
                            patches: raw.txns.flatMap(\.patches))
    }

    private struct RawTrace: Decodable {
        struct Txn: Decodable { var patches: [Patch] }
        var startContent: String
        var endContent: String
        var txns: [Txn]
    }

    /// The folder of the sequential traces: `$MESH_TRACES/sequential_traces` if `$MESH_TRACES`
    /// is set (or `$MESH_TRACES` itself when it is that folder), else this repository's
    /// `Tests/Fixtures/traces/sequential_traces`.
    public static func sequentialTracesFolder() -> URL {
        if let override = ProcessInfo.processInfo.environment["MESH_TRACES"], !override.isEmpty {
            let url = URL(fileURLWithPath: override)
            let nested = url.appendingPathComponent("sequential_traces")
            return FileManager.default.fileExists(atPath: nested.path) ? nested : url
        }
        return URL(fileURLWithPath: #filePath)   // …/Sources/MeshTraces/EditingTrace.swift
            .deletingLastPathComponent()  // MeshTraces
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // repository
            .appendingPathComponent("Tests/Fixtures/traces/sequential_traces")
    }

    /// Every `*.json.gz` directly in ``sequentialTracesFolder()``, by name; throws when there
    /// is none.
    public static func sequentialTraceURLs() throws -> [URL] {
        let dir = sequentialTracesFolder()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".json.gz") }.sorted()
        guard !names.isEmpty else { throw EditingTraceError("no traces in \(dir.path)") }
        return names.map { dir.appendingPathComponent($0) }
    }
}

/// A trace that cannot be read, or a folder without traces.
public struct EditingTraceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
