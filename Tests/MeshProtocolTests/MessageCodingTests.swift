import Foundation
import Testing
import MeshOT
import MeshProtocol

@Suite struct MessageCodingTests {
    @Test func clientMessagesRoundTripWithTypeField() throws {
        let messages: [ClientMessage] = [
            .hello(.init(session: UUID().uuidString, client: "test")),
            .open(.init(path: "src/main.go", knownRev: 3)),
            .op(.init(path: "a.txt", baseRev: 2, ops: TextOperation([.retain(1), .insert("😀")]), opId: "c:1")),
            .presence(.init(path: "a.txt", rev: 2, selections: [.cursor(1)])),
            .chat(.init(text: "hi")),
            .annotate(.init(path: "a.txt", rev: 1, from: 0, to: 1, body: "why?")),
            .resolve(.init(id: "x")), .deleteAnnotation(.init(id: "y")),
            .hash(.init(path: "a.txt", rev: 1, hash: DocumentHash.of("a"))), .ping(.init(id: "1")), .close(.init(path: "a.txt")),
        ]
        for message in messages {
            let data = try JSONEncoder().encode(message)
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(object["type"] as? String == message.type)
            #expect(try JSONDecoder().decode(ClientMessage.self, from: data) == message)
        }
    }

    @Test func opWireFormatIsCompact() throws {
        let json = #"{"type":"op","path":"a","baseRev":4,"ops":[2,"x",-1],"opId":"c:9"}"#
        let message = try JSONDecoder().decode(ClientMessage.self, from: Data(json.utf8))
        #expect(message == .op(.init(path: "a", baseRev: 4, ops: TextOperation([.retain(2), .insert("x"), .delete(1)]), opId: "c:9")))
    }

    @Test(arguments: [#"{"type":"teleport"}"#, #"{"path":"a"}"#, #"{"type":"op","path":"a","baseRev":"4","ops":[],"opId":"x"}"#, "[1,2]", "nope"])
    func badMessagesAreRefused(json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(ClientMessage.self, from: Data(json.utf8)) }
    }

    @Test func unknownTypeIsNamed() {
        #expect(throws: UnknownMessageType.self) {
            try JSONDecoder().decode(ClientMessage.self, from: Data(#"{"type":"teleport"}"#.utf8))
        }
    }

    @Test(arguments: ["/etc/passwd", "../x", "a/../../b", "a/./b", "a//b", "", "a\u{0}b", "C:\\x", "C:/x", "a\\b",
                      String(repeating: "a", count: 1025)])
    func badPathsAreRefused(path: String) {
        #expect(throws: ErrorMessage.self) { try DocumentPath.validate(path) }
    }

    @Test(arguments: ["main.go", "src/deep/file name.swift", "中文/文件.txt", ".gitignore", "a..b/c"])
    func goodPathsPass(path: String) throws {
        #expect(try DocumentPath.validate(path) == path)
    }

    @Test func hashIsStableFNV1a() {
        #expect(DocumentHash.of("") == "cbf29ce484222325")
        #expect(DocumentHash.of("a") == "af63dc4c8601ec8c")
        #expect(DocumentHash.of("a\r\n😀") != DocumentHash.of("a\n😀"))
    }
}
