import Foundation
import NoroshiClient
import NoroshiCore

/// Where a drill runs: an in-process board on a clock the runner controls (``LocalBoard``), or a live daemon
/// reached through its public API in real time (``LiveBoard``). Injects go through the API either way.
protocol DrillBoard: AnyObject, Sendable {
    /// Sends reports, as a field crew's token does.
    var field: APIClient { get }
    /// Changes incidents and reads everything, as headquarters' token does.
    var hq: APIClient { get }
    /// Says how the drill runs, for the report: "controlled clock", "live at http://…, 10× real time".
    var mode: String { get }
    /// When the drill's time began.
    var start: Date { get }
    /// The drill's time now, as an offset from its start.
    var elapsed: Duration { get }
    /// Now on the board's own clock: the controlled clock of a local board; the real time of a live one, which
    /// at `--speed 10` is not the drill's time (a report sent ten drill minutes in is observed one real minute
    /// in, never ahead of the board's clock).
    var now: Date { get }
    /// A time on the board's clock as an offset from the drill's start.
    func offset(of date: Date) -> Duration
    /// Moves on to `offset`, letting the board do everything that falls due on the way; `observe` runs
    /// whenever the board has settled on the way (or, live, every second).
    func advance(to offset: Duration, observe: () async throws -> Void) async throws
    /// Waits until the board has done what the last request gave it to do (a live board cannot tell, and does
    /// not wait).
    func settle() async throws
    /// After the last inject: waits until the board has nothing left to send about `incidents`; returns why it
    /// stopped waiting if it gave up first.
    func finish(incidents: Set<String>, observe: () async throws -> Void) async throws -> String?
    /// Makes a room's chat server misbehave from now until `until`; returns why not if this board cannot.
    func fault(_ fault: Playbook.Fault) -> String?
    /// Stops the daemon and starts it again on the same data; returns why not if this board cannot.
    func restart() async throws -> String?
    /// What the rooms received about `incidents`, in order of time.
    func messages(incidents: Set<String>) async throws -> [RoomMessage]
}

/// A message as a room saw it, or an attempt that failed there.
public struct RoomMessage: Sendable, Hashable {
    public var room: String
    /// When the room answered, as an offset from the drill's start.
    public var at: Duration
    public var deliveryID: String
    public var summary: Summary?
    /// The text in the room's language.
    public var text: String
    /// Nil when the room took the message; else why it did not.
    public var failure: String?
    /// The room had taken this message before.
    public var isRepeat: Bool

    /// Taken, and for the first time.
    var isNew: Bool { failure == nil && !isRepeat }
}

/// Why a drill could not run (as opposed to an expectation that failed).
public struct DrillError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(_ message: String) { self.message = message }
}
