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
        let timer = Task { [self] in
            try? await Task.sleep(for: duration)
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
