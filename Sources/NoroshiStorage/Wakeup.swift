import Foundation
import NoroshiCore
import Synchronization

/// Wakes one waiting service loop: the photo job dispatcher when a photo arrives, a chat room's delivery loop
/// when a message is queued. A notification that comes while nobody waits is kept for the next wait.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func notify() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil as CheckedContinuation<Void, Never>?
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after a notification (including one that came since the last wait) or after `duration`.
    public func wait(for duration: Duration) async {
        await wait { try? await Task.sleep(for: duration) }
    }

    /// Returns after a notification, when `clock` reads `deadline`, or after `atMost` of real time, whichever is
    /// first: the loops wait on the injected clock, and still look again by themselves now and then (a photo
    /// copy being made is not on any clock).
    public func wait(until deadline: Date, clock: any WallClock, atMost: Duration) async {
        await wait {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await clock.sleep(until: deadline) }
                group.addTask { try? await Task.sleep(for: atMost) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func wait(_ timeout: @escaping @Sendable () async -> Void) async {
        let timer = Task { [self] in
            await timeout()
            if !Task.isCancelled { notify() }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
        timer.cancel()
    }
}
