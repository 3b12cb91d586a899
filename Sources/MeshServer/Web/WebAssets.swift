import Crypto
import Foundation
import Hummingbird

/// The browser client's files (`Resources/web`), read once into memory. Only `index.html` and
/// names matching `^[a-z]+\.(js|css)$` are kept, so that no request path ever reaches the file
/// system: `package.json` (which only tells node the files are ES modules) is not served.
struct WebAssets: Sendable {
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        /// A strong validator: the content's SHA-256, quoted.
        let etag: String
    }

    let files: [String: Asset]
    let index: ByteBuffer?

    /// The files bundled with the server.
    static func bundled() -> WebAssets {
        guard let root = Bundle.module.url(forResource: "web", withExtension: nil) else { return WebAssets(files: [:], index: nil) }
        return load(from: root)
    }

    static func load(from root: URL) -> WebAssets {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var files: [String: Asset] = [:]
        for name in names where isServable(name) {
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(name).path) else { continue }
            let digest = SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined()
            files[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: contentType(of: name), etag: "\"\(digest)\"")
        }
        let index = FileManager.default.contents(atPath: root.appendingPathComponent("index.html").path)
        return WebAssets(files: files, index: index.map { ByteBuffer(bytes: $0) })
    }

    /// `^[a-z]+\.(js|css)$`: lowercase ASCII letters, one dot, a script or a style sheet.
    static func isServable(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty,
              parts[0].unicodeScalars.allSatisfy({ $0.value >= 0x61 && $0.value <= 0x7A })
        else { return false }
        return parts[1] == "js" || parts[1] == "css"
    }

    static func contentType(of name: String) -> String {
        name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"
    }
}
