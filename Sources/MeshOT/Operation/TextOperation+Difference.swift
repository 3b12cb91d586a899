/// The operation between two versions of a text, for changes made outside any editor (a tool
/// rewriting a file on disk): small where the change is small, so that it merges with
/// concurrent edits elsewhere in the text instead of replacing it whole.
extension TextOperation {
    /// An operation that turns `old` into `new`. The common beginning and end are retained;
    /// between them, whole lines are compared (Myers' diff), so each changed run of lines
    /// becomes its own replacement. Past `maxLineEdits` differing lines the middle is replaced
    /// as one piece.
    public static func difference(from old: String, to new: String, maxLineEdits: Int = 1_000) -> TextOperation {
        let a = Array(old.unicodeScalars), b = Array(new.unicodeScalars)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        if prefix == a.count, prefix == b.count { return .identity(length: a.count) }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        // The middle, widened to whole lines (both texts agree outside it).
        var start = prefix
        while start > 0, a[start - 1] != "\n" { start -= 1 }
        var endA = a.count - suffix, endB = b.count - suffix
        while endA < a.count, !(endA > start && endB > start && a[endA - 1] == "\n" && b[endB - 1] == "\n") {
            endA += 1
            endB += 1
        }
        var operation = TextOperation()
        operation.retain(start)
        let linesA = lines(a[start..<endA]), linesB = lines(b[start..<endB])
        if let script = lineScript(linesA, linesB, maxEdits: maxLineEdits) {
            for step in script {
                switch step {
                case let .keep(i): operation.retain(linesA[i].count)
                case let .remove(i): operation.delete(linesA[i].count)
                case let .add(j): operation.insert(String(String.UnicodeScalarView(linesB[j])))
                }
            }
        } else {
            operation.insert(String(String.UnicodeScalarView(b[start..<endB])))
            operation.delete(endA - start)
        }
        operation.retain(a.count - endA)
        return operation
    }

    /// The lines of `text`, each with its line feed.
    private static func lines(_ text: ArraySlice<Unicode.Scalar>) -> [ArraySlice<Unicode.Scalar>] {
        var result: [ArraySlice<Unicode.Scalar>] = []
        var lineStart = text.startIndex
        for index in text.indices where text[index] == "\n" {
            result.append(text[lineStart...index])
            lineStart = index + 1
        }
        if lineStart < text.endIndex { result.append(text[lineStart...]) }
        return result
    }

    private enum LineStep { case keep(Int), remove(Int), add(Int) }

    /// A shortest edit script from `a` to `b` (Myers, O((N+M)·D)), or nil past `maxEdits`.
    private static func lineScript(_ a: [ArraySlice<Unicode.Scalar>], _ b: [ArraySlice<Unicode.Scalar>],
                                   maxEdits: Int) -> [LineStep]? {
        var ids: [ArraySlice<Unicode.Scalar>: Int] = [:]
        func id(_ line: ArraySlice<Unicode.Scalar>) -> Int {
            if let known = ids[line] { return known }
            ids[line] = ids.count
            return ids.count - 1
        }
        let x = a.map(id), y = b.map(id)
        let n = x.count, m = y.count
        let limit = min(n + m, maxEdits)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        var found = false
        search: for d in 0...limit {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var i = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var j = i - k
                while i < n, j < m, x[i] == y[j] { i += 1; j += 1 }
                v[offset + k] = i
                if i >= n, j >= m { found = true; break search }
            }
        }
        guard found else { return nil }
        // Back from (n, m) through the saved frontiers.
        var steps: [LineStep] = []
        var i = n, j = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let frontier = trace[d]
            let k = i - j
            let previousK = (k == -d || (k != d && frontier[offset + k - 1] < frontier[offset + k + 1])) ? k + 1 : k - 1
            let previousI = d == 0 ? 0 : frontier[offset + previousK]
            let previousJ = previousI - previousK
            while i > previousI, j > previousJ, i > 0, j > 0 {
                i -= 1; j -= 1
                steps.append(.keep(i))
            }
            if d == 0 { break }
            if i == previousI { j -= 1; steps.append(.add(j)) } else { i -= 1; steps.append(.remove(i)) }
        }
        while i > 0, j > 0 { i -= 1; j -= 1; steps.append(.keep(i)) }
        return steps.reversed()
    }
}
