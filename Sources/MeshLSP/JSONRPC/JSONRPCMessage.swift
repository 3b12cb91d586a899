import Foundation
import MeshProtocol

/// A JSON-RPC 2.0 request id: a number or a string.
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case number(Int)
    case string(String)

    public var json: JSONValue {
        switch self {
        case let .number(n): JSONValue(n)
        case let .string(s): .string(s)
        }
    }

    init?(_ json: JSONValue) {
        if let n = json.int { self = .number(n) } else if let s = json.string { self = .string(s) } else { return nil }
    }

    public var description: String {
        switch self {
        case let .number(n): "\(n)"
        case let .string(s): s
        }
    }
}

/// A JSON-RPC error object.
public struct ResponseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public static func parseError(_ m: String) -> Self { .init(code: -32700, message: m) }
    public static func invalidRequest(_ m: String) -> Self { .init(code: -32600, message: m) }
    public static func methodNotFound(_ method: String) -> Self { .init(code: -32601, message: "method not found: \(method)") }
    public static func invalidParams(_ m: String) -> Self { .init(code: -32602, message: m) }
    /// LSP: a request other than `initialize` before `initialize`.
    public static let serverNotInitialized = Self(code: -32002, message: "the server is not initialized")
    /// LSP: the request was cancelled with `$/cancelRequest`.
    public static let requestCancelled = Self(code: -32800, message: "request cancelled")
    /// LSP: the request failed for a reason the user should read.
    public static func requestFailed(_ m: String) -> Self { .init(code: -32803, message: m) }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["code": JSONValue(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    public var description: String { "\(message) (\(code))" }
}

/// A message that could not be parsed: the error to answer with, and its id when readable.
public struct ParseFailure: Error, Sendable, Hashable {
    public var id: RequestID?
    public var error: ResponseError
    init(_ id: RequestID?, _ error: ResponseError) { self.id = id; self.error = error }
}

/// One JSON-RPC 2.0 message.
public enum JSONRPCMessage: Sendable, Hashable {
    case request(id: RequestID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case response(id: RequestID?, result: Result<JSONValue, ResponseError>)

    /// Parses one message. A malformed message yields the error to answer with, and the id
    /// when one could be read (so the answer can name it).
    public static func parse(_ data: Data) -> Result<JSONRPCMessage, ParseFailure> {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            return .failure(ParseFailure(nil, .parseError("the message is not valid JSON (\(error))")))
        }
        guard case let .object(object) = json else {
            return .failure(ParseFailure(nil, .invalidRequest("a message must be a JSON object (batches are not used by LSP)")))
        }
        let id = object["id"].flatMap(RequestID.init)
        guard object["jsonrpc"]?.string == "2.0" else {
            return .failure(ParseFailure(id, .invalidRequest("\"jsonrpc\" must be \"2.0\"")))
        }
        if let method = object["method"] {
            guard let name = method.string else { return .failure(ParseFailure(id, .invalidRequest("\"method\" must be a string"))) }
            let params = object["params"]
            if let params, params.object == nil, params.array == nil, !params.isNull {
                return .failure(ParseFailure(id, .invalidRequest("\"params\" must be an object or an array")))
            }
            if let rawID = object["id"], !rawID.isNull {
                guard let id else { return .failure(ParseFailure(nil, .invalidRequest("\"id\" must be a number or a string"))) }
                return .success(.request(id: id, method: name, params: params))
            }
            return .success(.notification(method: name, params: params))
        }
        if let error = object["error"] {
            guard let code = error["code"]?.int, let message = error["message"]?.string else {
                return .failure(ParseFailure(id, .invalidRequest("a response error needs a code and a message")))
            }
            return .success(.response(id: id, result: .failure(ResponseError(code: code, message: message, data: error["data"]))))
        }
        if let result = object["result"] {
            return .success(.response(id: id, result: .success(result)))
        }
        return .failure(ParseFailure(id, .invalidRequest("a message needs a method (request, notification) or a result or error (response)")))
    }

    /// The message as JSON text.
    ///
    /// A request or notification without parameters (`params` nil or JSON `null`) has no
    /// `params` member at all: JSON-RPC 2.0 allows `params` to be omitted, but when present it
    /// must be an object or an array, never `null`.
    public func serialized() -> Data {
        var object: [String: JSONValue] = ["jsonrpc": "2.0"]
        switch self {
        case let .request(id, method, params):
            object["id"] = id.json
            object["method"] = .string(method)
            if let params, !params.isNull { object["params"] = params }
        case let .notification(method, params):
            object["method"] = .string(method)
            if let params, !params.isNull { object["params"] = params }
        case let .response(id, result):
            object["id"] = id?.json ?? .null
            switch result {
            case let .success(value): object["result"] = value
            case let .failure(error): object["error"] = error.json
            }
        }
        return JSONValue.object(object).serialized()
    }
}
