import MeshOT
import MeshProtocol

/// Completion from the words of every document in the session: identifiers and words of
/// letters, digits and `_`, ranked by how often they occur.
public enum WordCompletion {
    /// Whether a scalar belongs to a word.
    @inlinable
    public static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// The word that ends at `offset` in `text` (empty when the scalar before is no word).
    public static func prefix(in text: TextBuffer, endingAt offset: Int, limit: Int = 128) -> String {
        var start = offset
        while start > 0, offset - start < limit, isWordScalar(text.scalar(at: start - 1)) { start -= 1 }
        return text.text(in: start..<offset)
    }

    /// Words starting with `prefix` (longer than it), most frequent first, at most `limit`.
    public static func candidates(prefix: String, in texts: [String], limit: Int = 100) -> [String] {
        guard !prefix.isEmpty else { return [] }
        var counts: [String: Int] = [:]
        let first = prefix.unicodeScalars.first!
        for text in texts {
            var word = String.UnicodeScalarView()
            func flush() {
                if word.count > prefix.unicodeScalars.count, word.first == first {
                    let candidate = String(word)
                    if candidate.hasPrefix(prefix) { counts[candidate, default: 0] += 1 }
                }
                word.removeAll(keepingCapacity: true)
            }
            for scalar in text.unicodeScalars {
                if isWordScalar(scalar) { word.append(scalar) } else if !word.isEmpty { flush() }
            }
            if !word.isEmpty { flush() }
        }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key)
    }
}

extension DocumentBridge {
    /// `textDocument/completion`: session words that complete the word before the cursor (the
    /// words of the editor's own text before a session has any document).
    func completion(_ request: TextDocumentPositionParams) -> JSONValue {
        guard let uri = request.textDocument?.uri, let file = editorFiles[uri], let position = request.position
        else { return ["isIncomplete": false, "items": []] }
        let editorText: TextBuffer
        if let path = file.path, let document = documents[path], case let .open(_, sync) = document.content {
            editorText = sync.editor
        } else if let draft = file.draft {
            editorText = draft
        } else {
            return ["isIncomplete": false, "items": []]
        }
        let prefix = WordCompletion.prefix(in: editorText, endingAt: editorText.offset(at: position, encoding: encoding))
        var texts = documents.values.map { $0.text.description }
        if documents.isEmpty { texts.append(editorText.description) }
        let words = WordCompletion.candidates(prefix: prefix, in: texts)
        return [
            "isIncomplete": .bool(words.count >= 100),
            "items": .array(words.map { ["label": .string($0), "kind": 1, "detail": "session word"] }),
        ]
    }
}
