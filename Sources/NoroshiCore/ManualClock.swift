import Foundation
import Synchronization

/// A wall clock that moves only when told to: the drill runner's clock, and tests'. Sleepers on it wake when it
/// is moved past their deadline (or when their task is cancelled), never by the passing of real time.
public final class ManualClock: WallClock {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: Date
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// Moves the clock forward.
    public func advance(by interval: TimeInterval) {
        move { $0.addingTimeInterval(interval) }
    }

    /// Moves the clock forward to `date`; a date in the past leaves it where it is, since time never runs back.
    public func advance(to date: Date) {
        move { max($0, date) }
    }

    private func move(_ next: (Date) -> Date) {
        let due = state.withLock { state in
            state.now = next(state.now)
            let now = state.now
            let ids = state.sleepers.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.sleepers.removeValue(forKey: $0)?.continuation }
        }
        for continuation in due { continuation.resume() }
    }

    /// Returns once the clock has been moved to `deadline` or past it, or when the task is cancelled.
    public func sleep(until deadline: Date) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.now >= deadline || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
