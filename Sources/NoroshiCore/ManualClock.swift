import Foundation
import Synchronization

/// A wall clock that moves only when told to: the drill runner's clock, and tests'.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by interval: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(interval) }
    }

    /// Moves the clock forward to `date`; a date in the past leaves it where it is, since time never runs back.
    public func advance(to date: Date) {
        current.withLock { $0 = max($0, date) }
    }
}
