// `POST /v1/sessions/{session}/run` (`RunRequest` in openapi.yaml) and the NDJSON lines its
// response streams.

/// What to build and run in the sandbox (`RunRequest`).
public struct RunRequest: Sendable, Hashable, Codable {
    /// A package folder inside the session, like `./cmd/tool`; nil: `.`.
    public var package: String?
    /// The program's arguments.
    public var args: [String]?

    public init(package: String? = nil, args: [String]? = nil) { self.package = package; self.args = args }
}

/// One line of a run's NDJSON output: `{"stream":"stdout"|"stderr","data":TEXT}`, `{}` while
/// the program is silent, and last `{"exit":CODE}` or `{"killed":REASON}`.
public enum RunEvent: Sendable, Hashable, Codable {
    /// Output the program wrote, on stdout or (`stderr` true) stderr.
    case output(String, stderr: Bool)
    /// Nothing new (written every 2 s while the program is silent).
    case heartbeat
    case exited(Int)
    /// Stopped by the sandbox (a limit, the client gone, access revoked), with the reason.
    case killed(String)

    private enum CodingKeys: String, CodingKey { case stream, data, exit, killed }

    /// Lenient like the lines it reads: an object with none of the known keys is a heartbeat.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let data = try container.decodeIfPresent(String.self, forKey: .data) {
            self = .output(data, stderr: try container.decodeIfPresent(String.self, forKey: .stream) == "stderr")
        } else if let code = try container.decodeIfPresent(Int.self, forKey: .exit) {
            self = .exited(code)
        } else if let reason = try container.decodeIfPresent(String.self, forKey: .killed) {
            self = .killed(reason)
        } else {
            self = .heartbeat
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .output(text, stderr):
            try container.encode(stderr ? "stderr" : "stdout", forKey: .stream)
            try container.encode(text, forKey: .data)
        case .heartbeat:
            break
        case let .exited(code):
            try container.encode(code, forKey: .exit)
        case let .killed(reason):
            try container.encode(reason, forKey: .killed)
        }
    }
}
