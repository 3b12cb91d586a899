import Foundation
import MeshSandbox
import Testing

/// The container caps' bookkeeping (no Docker): a slot is taken before anything is awaited, so
/// starts that run concurrently on the sandbox actor cannot overshoot a cap.
@Suite struct ContainerSlotsTests {
    let ann = UUID(), bob = UUID(), session = UUID(), other = UUID()

    /// Why a slot for `tenant` was refused; nil when it was taken.
    func refusal(_ slots: inout ContainerSlots, _ tenant: SandboxTenant?) -> SandboxError? {
        do {
            _ = try slots.reserve(for: tenant)
            return nil
        } catch {
            return error as? SandboxError
        }
    }

    /// A burst of starts from one user gets exactly the user's share; the rest are refused.
    @Test func aBurstOfStartsCannotOvershootTheUsersCap() throws {
        var slots = ContainerSlots(maxContainers: 10, maxPerUser: 2)
        var taken: [UUID] = []
        var refused: [SandboxError] = []
        for _ in 0..<5 {
            do {
                taken.append(try slots.reserve(for: SandboxTenant(session: session, user: ann), kind: .run))
            } catch let error as SandboxError {
                refused.append(error)
            }
        }
        #expect(taken.count == 2 && slots.count(user: ann) == 2)
        #expect(refused == [SandboxError](repeating: .userBusy(running: 2, limit: 2), count: 3))
        #expect(refused.first?.description.contains("you have 2 sandbox containers running (limit 2 per user)") == true)
        // Another user is not held back; a released slot is free again.
        _ = try slots.reserve(for: SandboxTenant(session: session, user: bob))
        slots.release(taken[0])
        slots.release(taken[0])   // twice: harmless
        #expect(slots.count(user: ann) == 1 && slots.count == 2)
        _ = try slots.reserve(for: SandboxTenant(session: other, user: ann))
        #expect(slots.count(user: ann) == 2)
    }

    /// Many users together get no more than the server's cap.
    @Test func manyUsersCannotOvershootTheServersCap() throws {
        var slots = ContainerSlots(maxContainers: 3, maxPerUser: 2)
        for _ in 0..<3 { _ = try slots.reserve(for: SandboxTenant(session: session, user: UUID())) }
        let newcomer = refusal(&slots, SandboxTenant(session: session, user: UUID()))
        #expect(newcomer == .busy(running: 3, limit: 3))
        let untenanted = refusal(&slots, nil)
        #expect(untenanted == .busy(running: 3, limit: 3))
        #expect(SandboxError.busy(running: 3, limit: 3).description == "the sandbox is busy: 3 containers running (limit 3); try again shortly")
    }

    /// A session's deletion marks exactly its containers (those starting are stopped once
    /// created), and no new one starts for it.
    @Test func aDeletedSessionGetsNoNewContainer() throws {
        var slots = ContainerSlots(maxContainers: 10, maxPerUser: 10)
        let annRun = try slots.reserve(for: SandboxTenant(session: session, user: ann), kind: .run)
        let bobRun = try slots.reserve(for: SandboxTenant(session: session, user: bob), kind: .run)
        let bobDebug = try slots.reserve(for: SandboxTenant(session: session, user: bob), kind: .debug)
        let elsewhere = try slots.reserve(for: SandboxTenant(session: other, user: bob), kind: .run)
        // Bob loses the editor role: only his runs in this session.
        let demoted = slots.cancel(session: session, user: bob, kind: .run)
        #expect(demoted == [bobRun])
        #expect(!slots.isCancelled(annRun) && !slots.isCancelled(bobDebug) && !slots.isCancelled(elsewhere))
        // The session is deleted.
        slots.close(session: session)
        let deleted = slots.cancel(session: session)
        #expect(deleted == [annRun, bobRun, bobDebug])
        #expect(!slots.isCancelled(elsewhere))
        let late = refusal(&slots, SandboxTenant(session: session, user: ann))
        #expect(late == .revoked)
        _ = try slots.reserve(for: SandboxTenant(session: other, user: ann))
        #expect(slots.count(session: session) == 3)
        // Closed sessions are forgotten after a while (a request never takes that long).
        slots.close(session: UUID(), now: ContinuousClock.now + ContainerSlots.closedFor + .seconds(1))
        #expect(slots.closedSessions[session] == nil)
    }
}
