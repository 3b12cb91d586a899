import Foundation
import NIOSSL

/// Plain words for the TLS failures a client meets, with what to do about each.
enum TLSFailure {
    /// What went wrong, said of the server ("its certificate is not trusted …"), if `error` is a
    /// TLS failure; nil for any other error.
    static func describe(_ error: any Error, tls: ClientTLS) -> String? {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            // BoringSSL says no more: the chain leads to no trusted CA, or a certificate in it
            // has expired or is not valid yet.
            if let caFile = tls.caFile {
                return "its certificate is not trusted: it is not signed by a CA in \(caFile), or it has expired"
            }
            return "its certificate is not trusted: it is not signed by a CA this machine trusts, or it has expired"
                + " (for a server with a private CA, give the CA's certificate with --ca-file or MESH_CA_FILE)"
        }
        if text.contains("failedToValidateHostname") {
            return "its certificate is not issued for the host name or address in the server URL"
        }
        if text.contains("WRONG_VERSION_NUMBER") {
            return "it does not speak TLS (is it an http:// server?)"
        }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return "the TLS handshake failed (\(text))"
        }
        return nil
    }
}
