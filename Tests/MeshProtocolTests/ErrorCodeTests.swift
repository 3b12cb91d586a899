import Testing
import MeshProtocol

/// The HTTP status ↔ error code rule the server answers by (ApiError, ErrorMiddleware) and the
/// clients read an answer without Mesh's body by (MeshAPIClient.failure).
@Suite struct ErrorCodeTests {
    /// The codes a WebSocket error carries and a REST answer never does.
    static let socketOnly: Set<ErrorCode> = [.resync, .unknownType, .protocolVersion]

    @Test func everyRESTCodeRoundTripsThroughItsStatus() {
        for code in ErrorCode.allCases where !Self.socketOnly.contains(code) {
            #expect(ErrorCode(httpStatus: code.httpStatus) == code, "\(code)")
        }
        let rest = ErrorCode.allCases.filter { !Self.socketOnly.contains($0) }
        #expect(Set(rest.map(\.httpStatus)).count == rest.count, "no two REST codes share a status")
    }

    @Test func theStatusesAreTheOnesTheAPIDocuments() {
        let statuses = Dictionary(uniqueKeysWithValues: ErrorCode.allCases.map { ($0.rawValue, $0.httpStatus) })
        #expect(statuses == [
            "bad_request": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
            "too_large": 413, "rate_limited": 429, "internal": 500,
            // Never a REST answer; were one thrown in a handler, it would be a refused request.
            "resync": 400, "unknown_type": 400, "protocol_version": 400,
        ])
    }

    /// A status no code has as its own: the server picks a code (ErrorMiddleware.code(for:)), a
    /// client names the status (`http_502`).
    @Test func otherStatusesHaveNoCode() {
        for status in [200, 204, 301, 405, 410, 422, 501, 502, 503, 504] {
            #expect(ErrorCode(httpStatus: status) == nil, "\(status)")
        }
    }
}
