import Foundation
import Testing
@testable import MeshServer

/// docs/openapi.yaml must describe every route the server registers.
@Suite(.timeLimit(.minutes(5))) struct OpenAPICoverageTests {
    @Test func everyRouteIsDocumented() async throws {
        try await withServer(.sqlite) { server in
            let yaml = try await server.request(.GET, "/openapi.yaml")
            #expect(yaml.status == 200)
            let spec = yaml.text
            let documented = Self.operations(in: spec)
            #expect(!server.mesh.routes.isEmpty)
            for route in server.mesh.routes {
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let method = parts[0].lowercased()
                // ":session" → "{session}"
                let path = parts[1].split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                let openAPIPath = "/" + path.joined(separator: "/")
                #expect(documented.contains("\(method) \(openAPIPath)"), "\(route) is missing from docs/openapi.yaml")
            }
        }
    }

    @Test func servedSpecIsTheDocsFile() async throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        try await withServer(.sqlite) { server in
            let served = try await server.request(.GET, "/openapi.yaml")
            #expect(served.body == (try Data(contentsOf: docs)))
        }
    }

    /// "method /path" for every operation under `paths:` (a two-space-indented path key followed
    /// by four-space-indented method keys).
    static func operations(in yaml: String) -> Set<String> {
        var result = Set<String>()
        var currentPath: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
                if ["get", "post", "put", "patch", "delete"].contains(key) { result.insert("\(key) \(path)") }
            } else if !line.hasPrefix(" "), !line.isEmpty {
                currentPath = line.hasPrefix("paths:") ? currentPath : nil
            }
        }
        return result
    }
}
