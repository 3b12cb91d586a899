import Foundation
import Hummingbird
import MeshProtocol
import MeshStore

/// An error answered as `{"code": …, "message": …}` with an HTTP status.
struct ApiError: HTTPResponseError {
    let status: HTTPResponse.Status
    let body: ErrorMessage

    init(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String) {
        self.status = status
        self.body = ErrorMessage(code, message)
    }

    /// An answer with the code's own status (``ErrorCode/httpStatus``, the rule the clients read).
    init(_ code: ErrorCode, _ message: String) {
        self.init(HTTPResponse.Status(code: code.httpStatus), code, message)
    }

    static func badRequest(_ message: String) -> ApiError { .init(.badRequest, message) }
    static func unauthorized(_ message: String = "a valid bearer token is required") -> ApiError {
        .init(.unauthorized, message)
    }
    static func forbidden(_ message: String) -> ApiError { .init(.forbidden, message) }
    static func notFound(_ message: String) -> ApiError { .init(.notFound, message) }
    static func conflict(_ message: String) -> ApiError { .init(.conflict, message) }
    static func tooLarge(_ message: String) -> ApiError { .init(.tooLarge, message) }
    static func unavailable(_ message: String) -> ApiError { .init(.serviceUnavailable, .internal, message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(body)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The API's answer for a store failure.
    init(_ error: StoreError) {
        switch error {
        case let .conflict(what): self = .conflict(what)
        case let .notFound(what): self = .notFound(what)
        case let .inviteUnusable(why): self = .init(.gone, .forbidden, "invite unusable: \(why)")
        }
    }
}

/// Turns store errors and request-decoding errors into ``ApiError``s.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as StoreError {
            throw ApiError(error)
        } catch let error as ErrorMessage {
            // Its code's status: a path refused is 400, a document or session too large 413.
            throw ApiError(error.code, error.message)
        } catch let error as DecodingError {
            throw ApiError.badRequest("malformed request body: \(Self.describe(error))")
        } catch let error as ApiError {
            throw error
        } catch let error as HTTPError {
            // Hummingbird's own errors (e.g. an unparseable body) get the same JSON shape.
            throw ApiError(error.status, Self.code(for: error.status), error.body ?? "\(error.status.reasonPhrase)")
        } catch let error as any HTTPResponseError {
            throw ApiError(error.status, Self.code(for: error.status), "\(error)")
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            throw ApiError(.internalServerError, .internal, "internal error")
        }
    }

    /// The code of an error that has only a status (Hummingbird's own): the status's code
    /// (``ErrorCode/init(httpStatus:)``), else a wrong method is a route not found, any other
    /// server failure `internal` and any other refusal `bad_request`.
    static func code(for status: HTTPResponse.Status) -> ErrorCode {
        if let code = ErrorCode(httpStatus: status.code) { return code }
        return status.code == 405 ? .notFound : status.code >= 500 ? .internal : .badRequest
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, _): return "missing field \"\(key.stringValue)\""
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx):
            return "wrong type at \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\""
        case let .dataCorrupted(ctx): return ctx.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
