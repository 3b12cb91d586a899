import Foundation
import HummingbirdWSClient
import NIOCore
import NIOSSL

extension ClientTLS {
    /// The TLS configuration of a WebSocket to `url`: nil for `ws://`. For a `wss://` URL whose
    /// host is an IP address it also sets `configuration.sniHostname`, because the WebSocket
    /// client would otherwise hand the address to NIOSSL as the TLS server name, which NIOSSL
    /// refuses (an IP address is not a valid SNI name). The name given, under the reserved
    /// `.invalid` domain, matches no certificate's DNS names, so the certificate is still
    /// checked against the address the socket is connected to (its IP address entries), as
    /// AsyncHTTPClient does for `https://` with an IP address.
    func webSocketTLS(url: String, configuration: inout WebSocketClientConfiguration) throws -> TLSConfiguration? {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "wss" else { return nil }
        if let host = components.host, Self.isIPAddress(host), configuration.sniHostname == nil {
            configuration.sniHostname = Self.ipAddressServerName
        }
        return try tlsConfiguration()
    }

    /// The TLS server name sent to a server addressed by IP.
    static let ipAddressServerName = "ip-address.mesh.invalid"

    /// Whether `host` (brackets allowed) is an IPv4 or IPv6 address.
    static func isIPAddress(_ host: String) -> Bool {
        var address = host
        if address.hasPrefix("["), address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        return (try? SocketAddress(ipAddress: address, port: 0)) != nil
    }
}
