import Foundation
import Testing
@testable import MeshOT
import MeshTraces

/// Every editing trace replayed into a `TextBuffer` ends at its end content.
@Suite struct TraceReplayTests {
    @Test func everySequentialTraceReplaysToItsEndContent() throws {
        let urls = (try? EditingTrace.sequentialTraceURLs()) ?? []
        if urls.isEmpty {
            Issue.record("No editing traces found in \(EditingTrace.sequentialTracesFolder().path). Put josephg/editing-traces' sequential_traces there or set MESH_TRACES.")
        }
        for url in urls {
            let trace = try EditingTrace.load(url)
            var buffer = TextBuffer(trace.startContent)
            for patch in trace.patches {
                if patch.deleted > 0 { buffer.delete(patch.position..<(patch.position + patch.deleted)) }
                if !patch.inserted.isEmpty { buffer.insert(patch.inserted, at: patch.position) }
            }
            #expect(buffer.description == trace.endContent, "\(url.lastPathComponent)")
            #expect(buffer.count == trace.endContent.unicodeScalars.count, "\(url.lastPathComponent)")
            #expect(buffer.invariantViolations().isEmpty, "\(url.lastPathComponent)")
        }
    }
}
