import Foundation
import MeshOT
import MeshTraces

/// The three ways `mesh-bench ot` replays a trace, measured side by side.
enum OTMode: String, CaseIterable {
    /// Patches applied straight to a `TextBuffer`.
    case buffer
    /// Each patch as a `TextOperation` through `OTClient` → `OTDocument` → a second `OTClient`,
    /// every site applying it to its own `TextBuffer`.
    case pipeline
    /// Baseline: a Swift `String` edited by scalar offset.
    case naive

    /// Replays the trace; returns the final text (of the last site for the pipeline) and seconds.
    func run(_ trace: EditingTrace) throws -> (text: String, seconds: Double, extra: String) {
        switch self {
        case .buffer:
            var buffer = TextBuffer()
            let start = DispatchTime.now()
            for patch in trace.patches {
                buffer.replace(patch.position..<(patch.position + patch.deleted), with: patch.inserted)
            }
            let seconds = elapsed(since: start)
            let perChar = Double(buffer.allocatedBytes) / Double(max(1, buffer.count))
            return (buffer.description, seconds, String(format: "rope %.2f B/char", perChar))
        case .pipeline:
            return try runPipeline(trace)
        case .naive:
            var text = String.UnicodeScalarView()
            let start = DispatchTime.now()
            for patch in trace.patches {
                let from = text.index(text.startIndex, offsetBy: patch.position)
                let to = text.index(from, offsetBy: patch.deleted)
                text.replaceSubrange(from..<to, with: patch.inserted.unicodeScalars)
            }
            return (String(text), elapsed(since: start), "")
        }
    }

    private func runPipeline(_ trace: EditingTrace) throws -> (text: String, seconds: Double, extra: String) {
        var author = OTClient(revision: 0, clientID: "a")
        var authorText = TextBuffer()
        var server = OTDocument(historyLimit: 1024)
        var reader = OTClient(revision: 0, clientID: "b")
        var readerText = TextBuffer()
        let start = DispatchTime.now()
        for patch in trace.patches {
            let op = TextOperation.replacing(
                patch.position..<(patch.position + patch.deleted), with: patch.inserted, in: authorText.count)
            try op.apply(to: &authorText)
            guard let outgoing = try author.applyLocal(op) else { throw BenchError("nothing to send") }
            let receipt = try server.receive(outgoing.operation, baseRevision: outgoing.baseRevision,
                                             opId: outgoing.opId, author: "a")
            _ = try author.receiveAck(opId: outgoing.opId, revision: receipt.committed.revision)
            let remote = try reader.receiveRemote(receipt.committed.operation, revision: receipt.committed.revision)
            try remote.apply(to: &readerText)
        }
        let seconds = elapsed(since: start)
        let agree = authorText == server.text && server.text == readerText
        return (agree ? readerText.description : "<sites disagree>", seconds, "rev \(server.revision)")
    }
}

func elapsed(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Peak resident set size of this process in bytes (`VmHWM`).
func peakRSS() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kb * 1024
    }
    return 0
}
