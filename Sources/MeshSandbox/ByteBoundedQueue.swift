import Foundation

/// A first-in first-out queue between a thread and one consumer, bounded in bytes: what a socket
/// reader thread hands to Swift concurrency (``put(_:bytes:)`` blocks the thread while the queue
/// is full, so a peer that writes faster than the server reads is held back by the kernel's
/// socket buffers instead of filling the server's memory), or what Swift concurrency hands to a
/// socket writer thread (``offer(_:bytes:)`` refuses instead of blocking). An element larger
/// than the limit is let in alone, into an empty queue; every element also counts
/// ``elementOverhead`` bytes, so that empty ones cannot pile up. One consumer: iterate it
/// (`for await`) or call ``take()`` from a thread.
// @unchecked: `put` and `take` block their thread on an NSCondition (which guards every field
// below), and `Mutex` has no condition to wait on.
public final class ByteBoundedQueue<Element: Sendable>: @unchecked Sendable {
    /// The most bytes held at once (but one larger element, alone).
    public let limit: Int
    /// What each element counts besides its own bytes.
    public static var elementOverhead: Int { 32 }
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var elements: [(element: Element, bytes: Int)] = []
    private var head = 0
    private var held = 0
    private var finished = false
    private var cancelled = false
    /// The consumer waiting in ``next(within:)``, and its timer.
    private var waiter: (id: UInt64, continuation: CheckedContinuation<Poll, Never>, timer: Task<Void, Never>?)?
    private var lastWaiterID: UInt64 = 0

    /// What ``next(within:)`` found.
    public enum Poll: Sendable {
        case element(Element)
        /// Finished (and empty) or cancelled.
        case finished
        case timedOut
    }

    public init(limit: Int) {
        self.limit = limit
    }

    /// Bytes held now (overheads included).
    public var count: Int { condition.withLock { held } }

    /// Adds `element`, waiting (blocking the calling thread) while the queue is full; false, at
    /// once, when the consumer cancelled it or it was finished.
    @discardableResult
    public func put(_ element: Element, bytes: Int) -> Bool {
        let size = bytes + Self.elementOverhead
        condition.lock()
        while !cancelled, !finished, held > 0, held + size > limit { condition.wait() }
        return append(element, size)
    }

    /// Adds `element` if it fits now; false when the queue is full, cancelled or finished.
    public func offer(_ element: Element, bytes: Int) -> Bool {
        let size = bytes + Self.elementOverhead
        condition.lock()
        guard held == 0 || held + size <= limit else {
            condition.unlock()
            return false
        }
        return append(element, size)
    }

    /// No more elements: the consumer gets those held, then nil.
    public func finish() {
        condition.lock()
        finished = true
        wakeAll()
    }

    /// The consumer is gone: what is held is dropped, producers get false from now on, and a
    /// waiting consumer gets nil.
    public func cancel() {
        condition.lock()
        cancelled = true
        elements.removeAll()
        head = 0
        held = 0
        wakeAll()
    }

    /// The next element, blocking the calling thread until there is one; nil once finished (and
    /// empty) or cancelled.
    public func take() -> Element? {
        condition.lock()
        while head == elements.count, !finished, !cancelled { condition.wait() }
        let element = removeFirst()
        condition.broadcast()
        condition.unlock()
        return element
    }

    /// The next element, suspending until there is one; nil once finished (and empty) or
    /// cancelled. Cancelling the waiting task cancels the queue.
    public func next() async -> Element? {
        if case let .element(element) = await poll(timeout: nil) { return element }
        return nil
    }

    /// The next element, or ``Poll/timedOut`` when none came within `timeout` (the queue stays
    /// as it is). Cancelling the waiting task cancels the queue.
    public func next(within timeout: Duration) async -> Poll {
        await poll(timeout: timeout)
    }

    private func poll(timeout: Duration?) async -> Poll {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Poll, Never>) in
                condition.lock()
                if head < elements.count || finished || cancelled || Task.isCancelled {
                    let element = removeFirst()
                    condition.broadcast()
                    condition.unlock()
                    continuation.resume(returning: element.map { .element($0) } ?? .finished)
                    return
                }
                lastWaiterID &+= 1
                let id = lastWaiterID
                waiter = (id, continuation, nil)
                condition.unlock()
                guard let timeout else { return }
                let timer = Task { [self] in
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    expire(id)
                }
                condition.lock()
                if waiter?.id == id { waiter?.timer = timer } else { timer.cancel() }
                condition.unlock()
            }
        } onCancel: {
            cancel()
        }
    }

    /// The wait `id` timed out, unless it has ended already.
    private func expire(_ id: UInt64) {
        condition.lock()
        guard let waiter, waiter.id == id else { return condition.unlock() }
        self.waiter = nil
        condition.unlock()
        waiter.continuation.resume(returning: .timedOut)
    }

    // MARK: Called with the lock held

    /// Appends and unlocks.
    private func append(_ element: Element, _ size: Int) -> Bool {
        guard !cancelled, !finished else {
            condition.unlock()
            return false
        }
        if let waiter {
            // The consumer waits, so the queue is empty: the element goes straight to it.
            self.waiter = nil
            condition.unlock()
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .element(element))
            return true
        }
        elements.append((element, size))
        held += size
        condition.broadcast()
        condition.unlock()
        return true
    }

    private func removeFirst() -> Element? {
        guard !cancelled, head < elements.count else { return nil }
        let (element, size) = elements[head]
        head += 1
        held -= size
        if head == elements.count {
            elements.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64, head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Wakes everyone (a waiting consumer with ``Poll/finished``) and unlocks.
    private func wakeAll() {
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: .finished)
    }
}

extension ByteBoundedQueue: AsyncSequence {
    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let queue: ByteBoundedQueue

        public mutating func next() async -> Element? { await queue.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self) }
}
