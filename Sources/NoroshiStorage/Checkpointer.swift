import Dispatch
import GRDB

/// Copies committed pages from the write-ahead log into the database file on a connection and a thread of its
/// own, a few times a second, so that commits never wait for it.
///
/// SQLite's own checkpoint runs inside whichever commit pushes the log past 1,000 pages: that commit, and
/// every write queued behind it, then waits while pages are copied and the database file is synced — 200 to
/// 400 ms stalls in the chat benchmark at 500 changes a second. Here the pool's writer checkpoints by itself
/// only past `fallbackPages`, a safety net should this fall behind. Durability is unchanged: each commit is
/// synced in the log (`synchronous=FULL`); a checkpoint only moves pages already safe there.
final class Checkpointer: @unchecked Sendable {
    // @unchecked: `timer` is set once in init and only cancelled afterwards; `connection` is used only on
    // the timer's serial queue.
    static let fallbackPages = 16_000  // 64 MB of 4 KB pages
    /// A log file larger than this is cut back when it starts over.
    static let logSizeLimit = 16 << 20
    private let timer: any DispatchSourceTimer
    private let connection: DatabaseQueue

    init(path: String, writer: DatabasePool, interval: DispatchTimeInterval = .milliseconds(200)) throws {
        var configuration = Configuration()
        configuration.label = "noroshi.checkpoint"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let queue = DispatchQueue(label: "noroshi.checkpoint")
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
        var lastFrames = -1  // the log's length at the previous tick; only the timer's queue touches it
        timer.setEventHandler { [connection] in
            // PASSIVE neither waits for nor blocks writers; a busy database is tried again next time.
            let frames = (try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) })?.walFrameCount
            // Nothing committed since the last tick: the next commit starts the log over by itself.
            guard let frames, frames != lastFrames else { return }
            lastFrames = frames
            // Then a short one on the writer itself, between two of its transactions, for the few pages
            // committed meanwhile: only a log copied to its end lets the next commit start it over, and
            // under a steady stream of commits that moment never comes by itself (the log grew to the
            // fallback's 64 MB and the writer's own checkpoint of all of it stalled commits again).
            _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
        timer.resume()
    }

    deinit { timer.cancel() }
}
