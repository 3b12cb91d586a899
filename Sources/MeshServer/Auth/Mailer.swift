import Logging

/// Delivers account emails. The default writes them to the log; an operator plugs in SMTP.
public protocol Mailer: Sendable {
    func send(to address: String, subject: String, body: String) async throws
}

/// Writes every email to the log at `notice` level.
public struct LogMailer: Mailer {
    let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    public func send(to address: String, subject: String, body: String) async throws {
        logger.notice("mail", metadata: ["to": "\(address)", "subject": "\(subject)", "body": "\(body)"])
    }
}
