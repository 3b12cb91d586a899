/// Generates hostile JSON frames for the fuzz suites: a valid message of every client type,
/// then mutated — edge numbers, wrong types, huge and empty strings, escapes of lone
/// surrogates and control characters, deep nesting, truncation, duplicated keys — or plain
/// garbage. Seeded: a failing frame can be replayed.
public struct HostileFrames {
    public var random: SeededRandom
    /// Paths the generated messages name (the session's real documents, and others).
    public var paths: [String]

    public init(seed: UInt64, paths: [String]) {
        random = SeededRandom(seed: seed)
        self.paths = paths
    }

    /// Numbers that trap or confuse careless arithmetic.
    public static let edgeNumbers = [
        "0", "-1", "1", "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
        "4294967296", "4294967295", "-4294967296", "9007199254740993", "1e308", "-1e308", "1.5", "-0", "1e-7",
        "18446744073709551616", "123456789012345678901234567890",
    ]

    /// One frame.
    public mutating func next() -> String {
        let valid = validMessage()
        switch random.int(0...9) {
        case 0: return garbage()
        case 1: return truncate(valid)
        case 2: return nested()
        default: return mutate(valid)
        }
    }

    /// A well-formed message of a random client type.
    public mutating func validMessage() -> String {
        let path = quoted(paths.randomElement(using: &random) ?? "a.txt")
        let rev = random.int(0...50)
        switch random.int(0...11) {
        case 0: return #"{"type":"hello","protocol":1,"session":"\#(uuid())"}"#
        case 1: return #"{"type":"open","path":\#(path)\#(random.int(0...1) == 0 ? #","knownRev":\#(rev)"# : "")}"#
        case 2: return #"{"type":"close","path":\#(path)}"#
        case 3: return #"{"type":"op","path":\#(path),"baseRev":\#(rev),"ops":\#(operation()),"opId":"f\#(random.next() % 100_000)"}"#
        case 4:
            let a = random.int(0...200), h = random.int(0...200)
            return #"{"type":"presence","path":\#(path),"rev":\#(rev),"selections":[{"anchor":\#(a),"head":\#(h)}]}"#
        case 5: return #"{"type":"chat","text":\#(quoted(text()))}"#
        case 6:
            let from = random.int(0...50)
            return #"{"type":"annotate","path":\#(path),"rev":\#(rev),"from":\#(from),"to":\#(from + random.int(0...9)),"body":\#(quoted(text()))}"#
        case 7: return #"{"type":"resolve","id":"\#(uuid())"}"#
        case 8: return #"{"type":"deleteAnnotation","id":"\#(uuid())"}"#
        case 9: return #"{"type":"hash","path":\#(path),"rev":\#(rev),"hash":"\#(uuid())"}"#
        case 10: return #"{"type":"auth","token":"eyJhbGciOiJIUzI1NiJ9.\#(uuid()).\#(quoted(text()).dropFirst().dropLast())"}"#
        default: return #"{"type":"ping","id":"\#(random.next() % 1000)"}"#
        }
    }

    private mutating func operation() -> String {
        var parts: [String] = []
        for _ in 0..<random.int(1...4) {
            switch random.int(0...2) {
            case 0: parts.append("\(random.int(1...20))")
            case 1: parts.append("-\(random.int(1...5))")
            default: parts.append(quoted(text()))
            }
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    private mutating func text() -> String {
        ["x", "héllo", "😀", "\r\n", "中文", "e\u{301}", "a\u{0}b", "\u{202E}rtl"].randomElement(using: &random)!
    }

    private mutating func uuid() -> String {
        let hex = Array("0123456789ABCDEF")
        var s = ""
        for i in 0..<32 {
            if [8, 12, 16, 20].contains(i) { s.append("-") }
            s.append(hex[Int(random.next() % 16)])
        }
        return s
    }

    /// Replaces one number, string or value of `frame` with something hostile.
    public mutating func mutate(_ frame: String) -> String {
        var scalars = Array(frame.unicodeScalars)
        // Where values start: after a ':' or '[' or ','.
        let starts = scalars.indices.filter { [":", "[", ","].contains(scalars[$0]) }
        guard let at = starts.randomElement(using: &random) else { return frame }
        var end = at + 1
        var depth = 0
        var inString = false
        while end < scalars.count {
            let c = scalars[end]
            if inString {
                if c == "\\" { end += 1 } else if c == "\"" { inString = false; if depth == 0 { end += 1; break } }
            } else if c == "\"" {
                inString = true
            } else if c == "[" || c == "{" {
                depth += 1
            } else if c == "]" || c == "}" {
                if depth == 0 { break }
                depth -= 1
                if depth == 0 { end += 1; break }
            } else if c == ",", depth == 0 {
                break
            }
            end += 1
        }
        let replacement: String
        switch random.int(0...11) {
        case 0, 1, 2: replacement = Self.edgeNumbers.randomElement(using: &random)!
        case 3: replacement = quoted(String(repeating: "A", count: random.int(0...1) == 0 ? 70_000 : 300))
        case 4: replacement = #""\ud800""#
        case 5: replacement = #""\u0000\u001b\n""#
        case 6: replacement = ["null", "true", "[]", "{}", "\"\"", "[[[]]]"].randomElement(using: &random)!
        case 7: replacement = "[" + (0..<random.int(1...2_000)).map { _ in Self.edgeNumbers.randomElement(using: &random)! }.joined(separator: ",") + "]"
        case 8: replacement = #"[{"anchor":9223372036854775807,"head":-9223372036854775808}]"#
        case 9: replacement = #""../../etc/passwd""#
        case 10: replacement = "\"" + String(repeating: "é", count: random.int(1...5_000)) + "\""
        default: replacement = "\"type\":\"op\",\"type\":\"ping\""
        }
        let clampedEnd = min(max(end, at + 1), scalars.count)
        scalars.replaceSubrange((at + 1)..<clampedEnd, with: Array(replacement.unicodeScalars))
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    private mutating func truncate(_ frame: String) -> String {
        String(frame.unicodeScalars.prefix(random.int(0...max(0, frame.unicodeScalars.count - 1))))
    }

    private mutating func nested() -> String {
        let depth = random.int(100...5_000)
        let open = random.int(0...1) == 0 ? "[" : #"{"a":"#
        let close = open == "[" ? "]" : "}"
        return #"{"type":"op","path":"a.txt","baseRev":0,"ops":"# + String(repeating: open, count: depth)
            + String(repeating: close, count: random.int(0...1) == 0 ? depth : depth / 2) + "}"
    }

    private mutating func garbage() -> String {
        let pieces = ["{", "}", "[", "]", ":", ",", "\"", "type", "op", "null", "9e999", "\\", "\u{FFFD}", " ", "\u{0}", "-", "😀"]
        return (0..<random.int(0...200)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    private func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
