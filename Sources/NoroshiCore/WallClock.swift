import Foundation

/// Where Noroshi reads the time of day, injected so that tests and drills control it.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Returns when this clock reads `deadline` or later (or the task is cancelled): waits for what is due at a
    /// time — a gathering window, a retry, a 続報 — are measured on the one injected clock.
    func sleep(until deadline: Date) async
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return }
        try? await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}

extension Date {
    /// Milliseconds since 1970, the form Noroshi stores times in.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// A date from milliseconds since 1970.
    public init(millisecondsSince1970 ms: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(ms) / 1000)
    }
}
