import Foundation
import Testing
@testable import MeshJSON
import MeshProtocol
import MeshTestSupport

/// `JSONValue.parse` and `serialized()` (``JSONReader`` and ``JSONWriter``) against Foundation's
/// JSON on fixed and random values, and on malformed input.
@Suite struct JSONValueTests {
    @Test func readsEveryKindOfValue() throws {
        let text = #" { "a" : [1, -2, 3.5, -0.25e2, 1E3, 0, true, false, null], "b": {"c": "d\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}, "": [] , "e": {} } "#
        let value = try JSONValue.parse(Data(text.utf8))
        #expect(value == ["a": [1, -2, .number(3.5), .number(-25), .number(1000), 0, true, false, nil],
                          "b": ["c": .string("d\"\\/\u{8}\u{c}\n\r\té😀")], "": [], "e": [:]])
    }

    @Test func writesCompactSortedText() {
        let value: JSONValue = ["z": 1, "a": [.number(0.5), "x/y", "q\"\\\n\u{1}é😀", nil, true], "m": .number(-1e300)]
        #expect(String(decoding: value.serialized(), as: UTF8.self)
            == #"{"a":[0.5,"x/y","q\"\\\n\u0001é😀",null,true],"m":-1e+300,"z":1}"#)
        #expect(String(decoding: JSONValue.number(.nan).serialized(), as: UTF8.self) == "null")
        // Large whole numbers stay integers (Foundation's writer never added ".0" either).
        #expect(String(decoding: JSONValue.array([.number(9e15), .number(9_007_199_254_740_993), .number(-8e18), .number(1e19)]).serialized(), as: UTF8.self)
            == "[9000000000000000,9007199254740992,-8000000000000000000,1e+19]")
    }

    @Test func loneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try JSONValue.parse(Data(#"["\ud800", "\udc00x", "\ud800\u0041"]"#.utf8)) == ["\u{FFFD}", "\u{FFFD}x", "\u{FFFD}A"])
    }

    @Test(arguments: ["", " ", "{", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "01", "1.", "1e", "-", "+1", ".5",
                      "tru", "nul", "\"abc", "\"a\u{1}b\"", #""\x""#, #""\u12""#, #""\u12G4""#, "[1] [2]", "1e400", "NaN", "'a'"])
    func malformedTextIsRefused(text: String) {
        #expect(throws: JSONReader.Failure.self, "\(text)") { try JSONValue.parse(Data(text.utf8)) }
    }

    @Test func errorsNameTheOffset() {
        for (text, offset, reason) in [("[1,]", 3, "unexpected character"), ("{a:1}", 1, "expected a string key"),
                                       ("[1] [2]", 4, "unexpected text after the value"), (#"{"k":"\q"}"#, 7, "unknown escape"),
                                       ("  ", 2, "unexpected end of input")] {
            let error = #expect(throws: JSONReader.Failure.self) { try JSONValue.parse(Data(text.utf8)) }
            #expect(error?.offset == offset && error?.reason == reason, "\(text): \(String(describing: error))")
        }
    }

    @Test func invalidUTF8IsRefused() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0x61, 0xC3, 0x22], [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONReader.Failure.self) { try JSONValue.parse(Data(bytes)) }
        }
    }

    @Test func deepNestingIsRefusedNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONReader.Failure.self) { try JSONValue.parse(Data(deep.utf8)) }
        #expect(error?.description.contains("nested deeper than 512") == true)
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        _ = try JSONValue.parse(Data(fine.utf8))
    }

    /// Random values: written then read back unchanged; Foundation reads the written text as the
    /// same value; and the reader reads Foundation's own text (other escapes) as the same value.
    @Test func randomValuesRoundTripAndAgreeWithFoundation() throws {
        for seed in 0..<UInt64(1_000) {
            var rng = SeededRandom(seed: seed)
            let value = Self.randomValue(depth: 0, using: &rng)
            let written = value.serialized()
            #expect(try JSONValue.parse(written) == value, "seed \(seed): \(String(decoding: written, as: UTF8.self))")
            // Byte for byte too (String's == would equate "é" and "e\u{301}").
            #expect(try JSONValue.parse(written).serialized() == written, "seed \(seed)")
            #expect(try JSONDecoder().decode(JSONValue.self, from: written) == value, "seed \(seed)")
            let foundation = try JSONSerialization.data(withJSONObject: Self.foundationObject(value), options: [.fragmentsAllowed, .prettyPrinted])
            #expect(try JSONValue.parse(foundation) == value, "seed \(seed): \(String(decoding: foundation, as: UTF8.self))")
        }
    }

    static let stringPieces = ["a", "Z", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "e\u{301}", "中", "😀", "\u{2028}", "\u{FFFD}"]

    static func randomValue(depth: Int, using rng: inout SeededRandom) -> JSONValue {
        switch Int.random(in: 0...(depth > 3 ? 4 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            switch Int.random(in: 0...3, using: &rng) {
            case 0: return JSONValue(Int.random(in: -1_000...1_000, using: &rng))
            case 1: return .number(Double(Int64.random(in: -(1 << 62)...(1 << 62), using: &rng)))
            case 2: return .number(Double.random(in: -1e6...1e6, using: &rng))
            default: return .number(Double(sign: .plus, exponent: Int.random(in: -300...300, using: &rng), significand: Double.random(in: 1..<2, using: &rng)))
            }
        case 3, 4:
            var text = ""
            for _ in 0..<Int.random(in: 0...8, using: &rng) { text += stringPieces.randomElement(using: &rng)! }
            return .string(text)
        case 5:
            return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(depth: depth + 1, using: &rng) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                var key = ""
                for _ in 0..<Int.random(in: 0...3, using: &rng) { key += stringPieces.randomElement(using: &rng)! }
                object[key] = randomValue(depth: depth + 1, using: &rng)
            }
            return .object(object)
        }
    }

    static func foundationObject(_ value: JSONValue) -> Any {
        switch value {
        case .null: NSNull()
        case let .bool(flag): flag
        case let .number(number): number
        case let .string(text): text
        case let .array(elements): elements.map(foundationObject)
        case let .object(members): members.mapValues(foundationObject)
        }
    }
}
