import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the TLS certificate and key on every SIGHUP (what a renewal hook sends): the next
/// connections get the new certificate, open ones keep theirs. Files that do not load leave
/// the certificate in use and log an error; the server never stops over it.
struct TLSReloadService: Service {
    let tls: ReloadableTLSContext
    /// Trapped before the server starts listening, so that a SIGHUP from then on never takes
    /// its default action (ending the process).
    let hangups: UnixSignalsSequence
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown { [tls, hangups, logger] in
            for await _ in hangups {
                do {
                    let certificate = try tls.reload()
                    logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(certificate)"])
                } catch {
                    logger.error("TLS reload failed; the previous certificate stays in use",
                                 metadata: ["error": "\(error)", "certificate": "\(tls.certificate)"])
                }
            }
        }
    }
}
