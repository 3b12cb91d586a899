import HummingbirdWebSocket

extension ClientConnection {
    /// Writes the queued messages to the socket in order, then closes it with the close reason.
    func writeLoop(_ outbound: WebSocketOutboundWriter) async {
        do {
            defer { releaseQueue() }
            for await text in outgoing {
                try await outbound.write(.text(text))
                written(text.utf8.count)
            }
            if let reason = closeReason, reason != .normal {
                try await outbound.close(.policyViolation, reason: String(reason.text.prefix(120)))
            } else {
                try await outbound.close(.normalClosure, reason: nil)
            }
        } catch {
            close(reason: .writeFailed)
        }
    }

    /// Runs `readLoop` (the socket's inbound messages) with ``writeLoop(_:)`` and
    /// ``closeWhenOverflowed(_:)`` alongside, then ends the overflow watch; returns once the
    /// writer is done too.
    func serve(_ outbound: WebSocketOutboundWriter, readLoop: () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writeLoop(outbound) }
            group.addTask { await self.closeWhenOverflowed(outbound) }
            await readLoop()
            finishOverflowWatch()
        }
    }

    /// A client too slow to drain its queue is cut off at once (the writer may be blocked on a
    /// full socket); it reconnects and catches up. Returns when the queue overflowed or
    /// ``finishOverflowWatch()`` was called.
    func closeWhenOverflowed(_ outbound: WebSocketOutboundWriter) async {
        for await _ in overflowed {}
        if closeReason == .tooSlow {
            try? await outbound.close(.policyViolation, reason: CloseReason.tooSlow.text)
        }
    }
}
