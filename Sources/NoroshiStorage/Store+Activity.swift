import Foundation
import GRDB
import NoroshiCore

/// What the board still has to do: chat events to route, photo copies to make, outbox messages due, and when
/// the outbox next has work. The drill runner waits for it to settle before it moves its clock.
public struct BoardActivity: Sendable, Hashable {
    /// Chat events not yet routed to rooms.
    public var unroutedEvents = 0
    /// Photos whose copies are waiting or being made.
    public var photoJobs = 0
    /// Rooms whose next message is due now (queued or being sent, and ready).
    public var dueRooms: Set<String> = []
    /// The earliest time after now at which a room's next message becomes ready.
    public var nextReadyAt: Date?

    public init() {}

    /// Nothing to route, no photo copy to make, no message due in any room outside `except`.
    public func isIdle(except rooms: Set<String> = []) -> Bool {
        unroutedEvents == 0 && photoJobs == 0 && dueRooms.isSubset(of: rooms)
    }
}

extension Store {
    /// What the board still has to do as of the store's clock.
    public func activity() async throws(NoroshiError) -> BoardActivity {
        let now = clock.now().millisecondsSince1970
        return try await read { db in
            var activity = BoardActivity()
            activity.unroutedEvents = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chat_event") ?? 0
            activity.photoJobs = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM photo_job") ?? 0
            // A room sends in order, so only the first of its pending messages decides whether it has work now.
            let heads = try Row.fetchAll(
                db,
                sql: """
                    SELECT o.room, o.ready_at FROM outbox o JOIN (
                        SELECT min(id) AS id FROM outbox WHERE state IN ('queued', 'sending') GROUP BY room
                    ) h ON h.id = o.id
                    """)
            var next: Int64?
            for head in heads {
                let readyAt: Int64 = head["ready_at"]
                if readyAt <= now {
                    activity.dueRooms.insert(head["room"])
                } else {
                    next = min(next ?? .max, readyAt)
                }
            }
            activity.nextReadyAt = next.map(Rows.date)
            return activity
        }
    }
}
