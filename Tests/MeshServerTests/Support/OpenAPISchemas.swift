import Foundation

/// A schema of docs/openapi.yaml's `components/schemas`, read with just enough YAML for the way
/// that file is written: one schema per four-space-indented key; its `properties`, `required`
/// and `enum` inline (`{ … }`, `[ … ]`) at six spaces, or `properties:` followed by one
/// eight-space-indented key per line.
struct OpenAPISchema: Equatable {
    var properties: Set<String> = []
    var required: Set<String> = []
    var enumValues: [String] = []

    /// Every schema under `components:` → `schemas:`, by name.
    static func all(in yaml: String) -> [String: OpenAPISchema] {
        var result: [String: OpenAPISchema] = [:]
        var inComponents = false
        var inSchemas = false
        var current: String?
        /// A six-space key whose value continues on the lines below (`properties:`).
        var blockKey: String?
        for raw in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = raw.prefix(while: { $0 == " " }).count
            let content = String(raw.dropFirst(indent))
            if content.isEmpty || content.hasPrefix("#") { continue }
            if indent == 0 {
                inComponents = content.hasPrefix("components:")
                inSchemas = false
                current = nil
                continue
            }
            guard inComponents else { continue }
            if indent == 2 {
                inSchemas = content.hasPrefix("schemas:")
                current = nil
                continue
            }
            guard inSchemas else { continue }
            let (key, value) = keyValue(content)
            switch indent {
            case 4:
                current = key
                blockKey = nil
                var schema = OpenAPISchema()
                if value.hasPrefix("{") { schema.apply(entries(value)) }
                result[key] = schema
            case 6:
                guard let name = current else { continue }
                blockKey = value.isEmpty ? key : nil
                if !value.isEmpty { result[name]?.apply([(key: key, value: value)]) }
            case 8:
                guard let name = current, blockKey == "properties" else { continue }
                result[name]?.properties.insert(key)
            default:
                continue
            }
        }
        return result
    }

    private mutating func apply(_ entries: [(key: String, value: String)]) {
        for (key, value) in entries {
            switch key {
            case "properties": properties = Set(Self.entries(value).map { $0.key })
            case "required": required = Set(Self.items(value))
            case "enum": enumValues = Self.items(value)
            default: break
            }
        }
    }

    /// `key: value` (the value trimmed, empty when the line ends at the colon).
    static func keyValue(_ text: String) -> (key: String, value: String) {
        guard let colon = text.firstIndex(of: ":") else { return (unquoted(text), "") }
        return (unquoted(String(text[..<colon])), text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    /// The members of a flow mapping, `{ a: …, b: … }`.
    static func entries(_ flow: String) -> [(key: String, value: String)] {
        members(flow).map(keyValue)
    }

    /// The items of a flow sequence, `[a, b]`.
    static func items(_ flow: String) -> [String] {
        members(flow).map(unquoted)
    }

    /// The top-level members of a flow collection: split on the commas outside nested brackets
    /// and quotes.
    static func members(_ flow: String) -> [String] {
        let trimmed = flow.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2 else { return [] }
        var parts: [String] = []
        var current = ""
        var depth = 0
        var quote: Character?
        for character in trimmed.dropFirst().dropLast() {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "{", "[": depth += 1
            case "}", "]": depth -= 1
            case "," where depth == 0:
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { parts.append(last) }
        return parts
    }

    static func unquoted(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2, let first = trimmed.first, first == "\"" || first == "'", trimmed.last == first else { return trimmed }
        return String(trimmed.dropFirst().dropLast())
    }
}
