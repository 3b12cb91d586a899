import MeshProtocol

/// Maps file paths between a participant's editor workspace and the container's `/workspace`
/// in any DAP message: every string under a `path`, `program` or `cwd` key.
struct DAPPathMap {
    static let containerRoot = "/workspace"
    let editorRoot: String

    func toContainer(_ message: JSONValue) -> JSONValue { rewrite(message, from: editorRoot, to: Self.containerRoot) }
    func toEditor(_ message: JSONValue) -> JSONValue { rewrite(message, from: Self.containerRoot, to: editorRoot) }

    private func rewrite(_ value: JSONValue, from: String, to: String) -> JSONValue {
        switch value {
        case let .object(object):
            var result: [String: JSONValue] = [:]
            for (key, child) in object {
                if ["path", "program", "cwd"].contains(key), let text = child.string {
                    result[key] = .string(Self.replacePrefix(text, from: from, to: to))
                } else {
                    result[key] = rewrite(child, from: from, to: to)
                }
            }
            return .object(result)
        case let .array(array): return .array(array.map { rewrite($0, from: from, to: to) })
        default: return value
        }
    }

    static func replacePrefix(_ path: String, from: String, to: String) -> String {
        let base = from.hasSuffix("/") ? String(from.dropLast()) : from
        if path == base { return to }
        if path.hasPrefix(base + "/") { return to + path.dropFirst(base.count) }
        return path
    }
}
