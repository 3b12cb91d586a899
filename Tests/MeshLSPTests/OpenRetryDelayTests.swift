@testable import MeshLSP
import Testing

/// The delay before a refused `open` is sent again: 250 ms doubling to 5 s, whatever the count
/// (a server refusing forever must not overflow the shift or grow the delay past 5 s).
@Suite struct OpenRetryDelayTests {
    @Test func theDelayDoublesFrom250MillisecondsAndStopsAt5Seconds() {
        let delays = (1...7).map { DocumentBridge.openRetryDelay(after: $0) }
        #expect(delays == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(DocumentBridge.openRetryDelay(after: Int.max) == .seconds(5))
        #expect(DocumentBridge.openRetryDelay(after: 0) == .milliseconds(250))
    }
}
