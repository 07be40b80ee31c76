import Foundation
import GRDB
import NoroshiCore

extension Store {
    /// When each room was first configured here (recorded now for a room seen for the first time): a room added
    /// later starts from then, and is never sent what happened before it existed. The daemon calls it while it
    /// opens, before it takes any request, so that nothing it accepts falls before a new room's start.
    public func roomStarts(_ rooms: [String]) throws(NoroshiError) -> [String: Int64] {
        let now = clock.now().millisecondsSince1970
        do {
            return try pool.write { db in
                var starts: [String: Int64] = [:]
                for room in rooms {
                    let key = "room_since:" + room
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO setting (key, value) VALUES (?, ?)", arguments: [key, String(now)])
                    starts[room] =
                        try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key])
                        .flatMap { Int64($0) } ?? now
                }
                return starts
            }
        } catch {
            throw Self.wrap(error, logger: logger)
        }
    }

    /// Messages waiting (queued, sending or dead) for rooms the configuration no longer has, per room.
    public func outboxForgottenRooms(configured: Set<String>) async throws(NoroshiError) -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT room, count(*) FROM outbox WHERE state IN ('queued', 'sending', 'dead') GROUP BY room")
            {
                let room: String = row[0]
                if !configured.contains(room) { counts[room] = row[1] }
            }
            return counts
        }
    }

    /// Drops waiting or dead messages — one by id, or every one of a room — so they are never sent; a dropped
    /// message stays listed with who dropped it. Returns how many were dropped.
    public func dropOutboxMessages(id: Int64? = nil, room: String? = nil, by principal: Principal)
        async throws(NoroshiError)
        -> Int
    {
        guard (id == nil) != (room == nil) else {
            throw NoroshiError(.invalidInput, "Drop one message by 'id', or every waiting message of a 'room'.")
        }
        let now = clock.now()
        return try await write { db in
            if let id {
                let message = try Self.fetchOutboxMessage(db, id: id)
                guard [.queued, .sending, .dead].contains(message.state) else {
                    throw NoroshiError(
                        .conflict,
                        "Outbox message \(id) is \(message.state.rawValue); only waiting or dead ones can be dropped.")
                }
            }
            try db.execute(
                sql: """
                    UPDATE outbox SET state = 'dropped', last_error = ?
                    WHERE state IN ('queued', 'sending', 'dead') AND (id = ? OR room = ?)
                    """,
                arguments: ["Dropped by \(principal.name).", id ?? -1, room ?? ""])
            let dropped = db.changesCount
            if let room, dropped == 0 {
                throw NoroshiError(.notFound, "No message waits for room '\(room.prefix(60))'.")
            }
            try AuditLog.append(
                .outboxDropped, subject: id.map { "outbox message \($0)" } ?? "room \(room ?? "")",
                change: ["id": .of(id), "room": .of(room), "dropped": .of(dropped)], by: principal, at: now, in: db)
            return dropped
        }
    }
}
