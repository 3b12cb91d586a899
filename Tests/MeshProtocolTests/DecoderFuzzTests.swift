import Foundation
import MeshOT
import MeshProtocol
import Testing
import MeshTestSupport
import MeshFraming

/// Every decoder a peer can reach, fed seeded hostile input (issue 11): a crash ends the test
/// process, so surviving is the first check; what decodes must also be within Mesh's bounds.
/// `MESH_FUZZ_FRAMES` changes the count (100,000 by default), `MESH_FUZZ_SEED` the seed.
@Suite struct DecoderFuzzTests {
    static let frames = Int(ProcessInfo.processInfo.environment["MESH_FUZZ_FRAMES"] ?? "") ?? 100_000
    static let seed = UInt64(ProcessInfo.processInfo.environment["MESH_FUZZ_SEED"] ?? "") ?? 11

    @Test func wireCodecTakesHostileFramesWithinBounds() {
        var generator = HostileFrames(seed: Self.seed, paths: ["a.txt", "dir/b.go", "../x", ""])
        var decoded = 0
        for index in 0..<Self.frames {
            let frame = generator.next()
            guard let message = try? WireCodec.decode(frame) else { continue }
            decoded += 1
            let problem: String? = switch message {
            case let .op(op): op.ops.baseLength <= TextOperation.lengthLimit && op.ops.targetLength <= TextOperation.lengthLimit
                ? nil : "an op of \(op.ops.baseLength) → \(op.ops.targetLength) scalars"
            case let .presence(update): update.selections.allSatisfy { (0...TextOperation.lengthLimit).contains($0.anchor) && (0...TextOperation.lengthLimit).contains($0.head) }
                ? nil : "presence offsets \(update.selections)"
            default: nil
            }
            if let problem {
                Issue.record("seed \(Self.seed), frame \(index): decoded past the bounds: \(problem)\n\(frame.prefix(300))")
                return
            }
        }
        print("wire codec: \(Self.frames) hostile frames, \(decoded) decoded, all within bounds (seed \(Self.seed))")
        #expect(decoded > 0 && decoded < Self.frames, "the generator makes both valid and invalid frames")
    }

    /// LSP and DAP travel in Content-Length frames over stdio: headers and bodies mangled,
    /// split anywhere, bodies of every hostile kind.
    @Test func framerAndJSONTakeHostileByteStreams() {
        var generator = HostileFrames(seed: Self.seed &+ 1, paths: ["a.txt"])
        var framer = MessageFramer(limit: 1 << 20)
        var messages = 0, badHeaders = 0
        for index in 0..<Self.frames {
            // A declared length past the limit is skipped, however long, as designed: a fresh
            // stream every 50 messages keeps the rest of them exercising the framer.
            if index % 50 == 0 { framer = MessageFramer(limit: 1 << 20) }
            var body = Array(generator.next().utf8)
            if generator.random.int(0...20) == 0, !body.isEmpty { body[generator.random.int(0...(body.count - 1))] = 0xFF }  // invalid UTF-8
            let header: String = switch generator.random.int(0...9) {
            case 0: "Content-Length: \(HostileFrames.edgeNumbers.randomElement(using: &generator.random)!)\r\n\r\n"
            case 1: "Content-Length: \(body.count + generator.random.int(-3...3))\r\n\r\n"
            case 2: "Content-Type: x\r\nContent-Length: \(body.count)\r\n\r\n"
            case 3: "content-length:\(body.count)\r\n\r\n"
            case 4: "Content-Length: \(body.count)\n\n"
            default: "Content-Length: \(body.count)\r\n\r\n"
            }
            let bytes = Array(header.utf8) + body
            var at = 0
            while at < bytes.count {   // in random pieces
                let end = min(bytes.count, at + generator.random.int(1...bytes.count))
                for frame in framer.feed(bytes[at..<end]) {
                    switch frame {
                    case let .message(data):
                        messages += 1
                        _ = try? JSONValue.parse(data)
                    case .badHeader:
                        badHeaders += 1
                    }
                }
                at = end
            }
        }
        print("framer: \(Self.frames) hostile messages, \(messages) framed, \(badHeaders) bad headers (seed \(Self.seed))")
        #expect(messages > 0)
    }
}
