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

    static func badRequest(_ message: String) -> ApiError { .init(.badRequest, .badRequest, message) }
    static func unauthorized(_ message: String = "a valid bearer token is required") -> ApiError {
        .init(.unauthorized, .unauthorized, message)
    }
    static func forbidden(_ message: String) -> ApiError { .init(.forbidden, .forbidden, message) }
    static func notFound(_ message: String) -> ApiError { .init(.notFound, .notFound, message) }
    static func conflict(_ message: String) -> ApiError { .init(.conflict, .conflict, message) }
    static func tooLarge(_ message: String) -> ApiError { .init(.contentTooLarge, .tooLarge, message) }
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
            throw ApiError(.badRequest, error.code, error.message)
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

    static func code(for status: HTTPResponse.Status) -> ErrorCode {
        switch status.code {
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404, 405: .notFound
        case 409: .conflict
        case 413: .tooLarge
        case 429: .rateLimited
        default: status.code >= 500 ? .internal : .badRequest
        }
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
