import MeshProtocol
import Synchronization

/// The way to the editor, shared by every part of ``LanguageServer``: notifications, messages to
/// show or log, and requests, each remembered until the editor answers it so that the answer
/// reaches the part that asked (``answered(_:)``). Sending never waits for the editor.
final class EditorChannel: Sendable {
    /// What a request to the editor was for.
    enum Request: Sendable {
        /// The document bridge's `workspace/applyEdit`: the answer settles edit `syncID` of `uri`.
        case applyEdit(uri: String, syncID: Int)
        /// Anything else (inlay-hint refreshes, `window/showDocument`): the answer is not read.
        case other
    }

    private struct Requests {
        var pending: [RequestID: Request] = [:]
        var next = 1
    }

    private let transmit: LanguageServer.Send
    private let requests = Mutex(Requests())

    init(_ transmit: @escaping LanguageServer.Send) {
        self.transmit = transmit
    }

    /// Sends one message as it is (an answer, for instance).
    func send(_ message: JSONRPCMessage) {
        transmit(message)
    }

    func notify(_ method: String, _ params: JSONValue) {
        transmit(.notification(method: method, params: params))
    }

    /// Sends the editor a request, `mesh-<n>`; `params` nil for a request without parameters
    /// (the message then has no `params` member).
    @discardableResult
    func request(_ method: String, _ params: JSONValue?, as kind: Request = .other) -> RequestID {
        let id: RequestID = requests.withLock { requests in
            let id = RequestID.string("mesh-\(requests.next)")
            requests.next += 1
            requests.pending[id] = kind
            return id
        }
        transmit(.request(id: id, method: method, params: params))
        return id
    }

    /// What the request the editor just answered was for (forgotten now); nil for an id we never
    /// sent, or one answered already.
    func answered(_ id: RequestID) -> Request? {
        requests.withLock { requests in requests.pending.removeValue(forKey: id) }
    }

    /// `window/showMessage`: 1 error, 2 warning, 3 info.
    func show(_ text: String, type: Int = 3) {
        notify("window/showMessage", ["type": JSONValue(type), "message": .string(text)])
    }

    /// `window/logMessage`, 4 (log) unless told otherwise.
    func log(_ text: String, type: Int = 4) {
        notify("window/logMessage", ["type": JSONValue(type), "message": .string(text)])
    }
}
