import Foundation

/// A sequential editing trace (`Tests/Fixtures/traces/README.md`): patches `[pos, del, ins]` in code points.
/// A copy of `mesh-bench`'s loader (that target depends on MeshOT only).
struct Trace {
    struct Patch: Decodable {
        var position: Int
        var deleted: Int
        var inserted: String

        /// `[pos, del, ins]`.
        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            position = try fields.decode(Int.self)
            deleted = try fields.decode(Int.self)
            inserted = try fields.decode(String.self)
        }
    }

    let name: String
    let patches: [Patch]
    let endContent: String

    /// Loads a gzipped trace by running `gzip -dc` (no zlib dependency).
    static func load(_ url: URL) throws -> Trace {
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "exec gzip -dc \"$0\"", url.path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        guard gzip.terminationStatus == 0 else { throw BenchError("cannot decompress \(url.path)") }
        let raw = try JSONDecoder().decode(RawTrace.self, from: data)
        let name = url.lastPathComponent.replacingOccurrences(of: ".json.gz", with: "")
        return Trace(name: name, patches: raw.txns.flatMap(\.patches), endContent: raw.endContent)
    }

    private struct RawTrace: Decodable {
        struct Txn: Decodable { var patches: [Patch] }
        var endContent: String
        var txns: [Txn]
    }

    /// The traces folder: `$MESH_TRACES`, else `Tests/Fixtures/traces` in this repository.
    static func folder() -> URL {
        if let env = ProcessInfo.processInfo.environment["MESH_TRACES"] {
            return URL(fileURLWithPath: env)
        }
        let source = URL(fileURLWithPath: #filePath)   // …/main/Sources/mesh-relay-bench/Trace.swift
        return source.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/traces")
    }

    static func sequentialTraceURLs() throws -> [URL] {
        let dir = folder().appendingPathComponent("sequential_traces")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".json.gz") }.sorted()
        guard !names.isEmpty else { throw BenchError("no traces in \(dir.path)") }
        return names.map { dir.appendingPathComponent($0) }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
