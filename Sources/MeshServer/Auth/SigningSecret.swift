import Foundation

/// The server's JWT signing secret: 32 random bytes kept in `<data-dir>/jwt-secret` (mode 0600),
/// generated on first start.
enum SigningSecret {
    static func loadOrCreate(in directory: String) throws -> [UInt8] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true,
                               attributes: [.posixPermissions: 0o700])
        let path = directory + "/jwt-secret"
        if let data = fm.contents(atPath: path) {
            guard data.count >= 32 else { throw ServerStartError("\(path) holds fewer than 32 bytes; delete it to regenerate") }
            return [UInt8](data)
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        guard fm.createFile(atPath: path, contents: Data(secret), attributes: [.posixPermissions: 0o600]) else {
            throw ServerStartError("cannot write the signing secret to \(path)")
        }
        return secret
    }
}

/// Why the server could not start: printed as is, followed by a non-zero exit.
public struct ServerStartError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
