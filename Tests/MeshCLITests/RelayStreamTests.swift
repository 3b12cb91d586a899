import Foundation
@testable import MeshSandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the server reads from a debug relay and from a container, both of which run the
/// session's code: every read is bounded, a peer that floods is held back or cut off, and the
/// relay's socket takes one connection. No Docker: the relay's side is played over a real
/// Unix socket.
@Suite(.timeLimit(.minutes(1))) struct RelayStreamTests {
    func frame(_ json: String) -> [UInt8] { Array("Content-Length: \(json.utf8.count)\r\n\r\n\(json)".utf8) }

    /// A folder like the server's relay folders: in `/tmp`, private to this user.
    func privateFolder() throws -> String {
        let path = "/tmp/mesh-relaytest-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        return path
    }

    /// The relay's end of a socket the server accepted: its file descriptor, and the server's
    /// side.
    func connectedPair(in folder: String) async throws -> (relay: Int32, socket: RelaySocket) {
        let listener = try RelayListener(path: folder + "/dap.sock")
        defer { listener.close() }
        let relay = try UnixSocket.connect(listener.path)
        let socket = try await listener.accept(timeout: .seconds(5), gaveUp: { false }, onActivity: {})
        return (relay, socket)
    }

    // MARK: DAP frames

    /// A relay announcing a message larger than 16 MiB is refused at the header: no byte of it is
    /// allocated or read, and nothing after it either. The messages before it still count.
    @Test func aHugeContentLengthIsRefusedBeforeItsContentArrives() {
        for length in ["16777217", "4294967296", "99999999999999999999999999"] {
            var reader = DAPFrameReader()
            let messages = reader.feed(frame(#"{"ok":1}"#) + Array("Content-Length: \(length)\r\n\r\n".utf8))
            #expect(messages == [Data(#"{"ok":1}"#.utf8)])
            #expect(reader.refusal?.description.contains("over the limit") == true, "\(length): \(String(describing: reader.refusal))")
            #expect(reader.bufferedBytes == 0)
            #expect(reader.feed([UInt8](repeating: 65, count: 1 << 16) + frame("{}")).isEmpty, "nothing is read after a refusal")
            #expect(reader.bufferedBytes == 0)
        }
        // The largest allowed length is taken, its content held only as it arrives.
        var reader = DAPFrameReader()
        _ = reader.feed(Array("Content-Length: \(DAPFrameReader.maxContentBytes)\r\n\r\n".utf8) + [UInt8](repeating: 32, count: 1000))
        #expect(reader.refusal == nil)
        #expect(reader.bufferedBytes == 1000)
    }

    /// A header that never ends is refused at 8 KiB and never held beyond; a header without a
    /// length, or with one that is not a number, is refused as well.
    @Test func anEndlessHeaderIsRefusedAtItsLimit() {
        var reader = DAPFrameReader()
        let line = Array("X-Padding: aaaaaaaa\r\n".utf8)   // never a blank line
        var fed = 0, held = 0
        while reader.refusal == nil, fed < 1 << 20 {
            _ = reader.feed(line)
            fed += line.count
            held = max(held, reader.bufferedBytes)
        }
        #expect(reader.refusal?.description.contains("no end of a DAP header") == true, "\(String(describing: reader.refusal))")
        #expect(fed <= DAPFrameReader.maxHeaderBytes + line.count)
        #expect(held < DAPFrameReader.maxHeaderBytes)
        for header in ["Content-Type: json\r\n\r\n{}", "Content-Length: -5\r\n\r\n", "Content-Length: 0x10\r\n\r\n", "garbage\r\n\r\n"] {
            var bad = DAPFrameReader()
            _ = bad.feed(Array(header.utf8))
            #expect(bad.refusal != nil, "\(String(reflecting: header))")
        }
    }

    /// Honest traffic comes out whole, whatever the chunking.
    @Test func messagesComeOutWholeInAnyChunking() {
        let texts = [#"{"seq":1,"type":"event","event":"output","body":{"output":"é😀\r\n\r\n"}}"#, "", #"{"seq":2}"#]
        let stream = texts.flatMap { frame($0) }
        for size in [1, 2, 3, 7, 64, stream.count] {
            var reader = DAPFrameReader()
            var got: [String] = []
            var index = 0
            while index < stream.count {
                got += reader.feed(stream[index..<min(stream.count, index + size)]).map { String(decoding: $0, as: UTF8.self) }
                index += size
            }
            #expect(got == texts, "chunks of \(size)")
            #expect(reader.refusal == nil)
        }
    }

    // MARK: The container's attached stdio

    /// A Docker frame header may announce 4 GiB: the payload is passed on in pieces as it
    /// arrives, never held whole; ordinary frames still come out whole.
    @Test func aContainerFrameAnnouncing4GiBIsNeverHeldWhole() {
        var demuxer = StreamDemuxer(maxChunk: 64 << 10)
        var chunks = demuxer.feed([1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        var held = 0
        for _ in 0..<64 {
            chunks += demuxer.feed([UInt8](repeating: 120, count: 10_000))
            held = max(held, demuxer.bufferedBytes)
        }
        #expect(held < 64 << 10)
        #expect(chunks.allSatisfy { $0.count == 64 << 10 })
        #expect(chunks.reduce(0) { $0 + $1.count } + demuxer.bufferedBytes == 640_000)

        var whole = StreamDemuxer()
        let stream = StreamDemuxer.frame(.stdout(Data("out".utf8))) + StreamDemuxer.frame(.stderr(Data("err".utf8)))
        var out: [StreamDemuxer.Chunk] = []
        for byte in stream { out += whole.feed([byte]) }
        #expect(out == [.stdout(Data("out".utf8)), .stderr(Data("err".utf8))])
    }

    // MARK: Backpressure

    /// A peer writing faster than the server reads is held back once its queue is full (its
    /// socket reader waits, and so does the peer), instead of growing the server's memory; the
    /// reader still gets everything, in order.
    @Test func aFloodingPeerIsHeldBackByAFullQueue() async throws {
        let queue = ByteBoundedQueue<Data>(limit: 10_000)
        let producer = Thread {
            for i in 0..<1000 {
                guard queue.put(Data(repeating: UInt8(i % 256), count: 1000), bytes: 1000) else { return }
            }
            queue.finish()
        }
        producer.start()
        try await Task.sleep(for: .milliseconds(200))
        #expect(queue.count <= 10_000, "held back at the limit")
        var received = 0
        for await data in queue {
            if data.first != UInt8(received % 256) { Issue.record("out of order at \(received)") }
            received += 1
        }
        #expect(received == 1000)
    }

    /// A silent peer: the reader gets a timeout (the run stream writes its heartbeat then), and
    /// the queue goes on afterwards.
    @Test func aSilentPeerTimesOutWithoutEndingTheQueue() async throws {
        let queue = ByteBoundedQueue<Data>(limit: 100)
        guard case .timedOut = await queue.next(within: .milliseconds(50)) else { Issue.record("no timeout"); return }
        #expect(queue.offer(Data("x".utf8), bytes: 1))
        guard case let .element(data) = await queue.next(within: .seconds(5)) else { Issue.record("no element"); return }
        #expect(data == Data("x".utf8))
        queue.finish()
        guard case .finished = await queue.next(within: .seconds(5)) else { Issue.record("not finished"); return }
    }

    // MARK: The relay's socket

    /// The server listens and the relay dials: the socket file is connectable by the container's
    /// user (0666) inside a folder only the server enters (0700), one connection is accepted,
    /// and then the file is gone and nobody else can connect in the relay's place.
    @Test func onlyTheRelaysOneConnectionIsAccepted() async throws {
        let folder = try privateFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let listener = try RelayListener(path: folder + "/dap.sock")
        let mode = try FileManager.default.attributesOfItem(atPath: listener.path)[.posixPermissions] as? Int
        #expect(mode == 0o666)
        let relay = try UnixSocket.connect(listener.path)
        defer { close(relay) }
        let socket = try await listener.accept(timeout: .seconds(5), gaveUp: { false }, onActivity: {})
        defer { socket.close() }
        listener.close()
        #expect(!FileManager.default.fileExists(atPath: listener.path))
        #expect((try? UnixSocket.connect(listener.path)) == nil, "a second peer cannot connect")
        // The accepted connection works both ways.
        #expect(socket.write(Data(frame(#"{"seq":1}"#))))
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(relay, &buffer, 256)
        #expect(n > 0 && String(decoding: buffer[0..<max(n, 0)], as: UTF8.self).hasSuffix(#"{"seq":1}"#))
    }

    /// A relay that never dials: the start gives up after its timeout, with a reason.
    @Test func aRelayThatNeverDialsIsGivenUpOn() async throws {
        let folder = try privateFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let listener = try RelayListener(path: folder + "/dap.sock")
        defer { listener.close() }
        await #expect(throws: DockerError.self) {
            _ = try await listener.accept(timeout: .milliseconds(100), gaveUp: { false }, onActivity: {})
        }
    }

    /// A relay that sends a message over the limit: the stream ends at its header, and the
    /// failure says why (the debug session ends with that reason).
    @Test func aRelaySendingAnOversizedMessageIsCutOff() async throws {
        let folder = try privateFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (relay, socket) = try await connectedPair(in: folder)
        defer { close(relay) }
        #expect(UnixSocket.writeAll(relay, frame(#"{"seq":1}"#) + Array("Content-Length: 1000000000\r\n\r\n".utf8)))
        var got: [Data] = []
        for await message in socket.messages { got.append(message) }
        #expect(got == [Data(#"{"seq":1}"#.utf8)])
        #expect(socket.failure?.contains("over the limit") == true, "\(socket.failure ?? "no failure")")
    }

    /// A relay that stops reading what the server writes is cut off once 16 MiB wait for it,
    /// instead of blocking the debug session or growing without end.
    @Test func aRelayThatStopsReadingIsCutOff() async throws {
        let folder = try privateFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (relay, socket) = try await connectedPair(in: folder)
        defer { close(relay) }
        let chunk = Data(count: 1 << 20)
        var accepted = 0
        while accepted < 64, socket.write(chunk) {
            accepted += 1
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(accepted < 40, "cut off after \(accepted) MiB")
        #expect(socket.failure?.contains("stopped reading") == true, "\(socket.failure ?? "no failure")")
        for await _ in socket.messages {}   // the connection is shut: its input ends
    }

    // MARK: Output counting

    /// Output past the limit is dropped, and the piece that crosses it stops the container, once.
    @Test func outputPastTheLimitIsDroppedAndStopsTheContainerOnce() {
        var meter = OutputMeter(limit: 100)
        #expect(meter.add(60) == .within)
        #expect(meter.add(40) == .within)
        #expect(meter.add(1) == .crossed)
        #expect(meter.add(1) == .over)
        #expect(meter.add(0) == .over)
        #expect(meter.bytes == 102)
    }
}
