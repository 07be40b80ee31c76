import Foundation
import GRDB
import NoroshiCore

/// How the outbox turns changes into messages.
public struct OutboxSettings: Sendable, Hashable {
    /// How long a message about a new incident or new photos waits for more of the same (photos sent right after
    /// the report that opened the incident) before it is prepared.
    public var gather: TimeInterval = 5
    /// How long a message waits for the chat copy of its incident's newest photo before it goes without it.
    public var photoWait: TimeInterval = 30
    /// A message that still fails this long after it was queued is dead-lettered (`chat.max_age_hours`).
    public var maxAge: TimeInterval = 24 * 3600
    /// Failed attempts before a message is dead-lettered, when set (`chat.max_attempts`); none by default, as an
    /// outage is measured by its length, not by how often the backoff happened to try.
    public var maxAttempts: Int?
    /// Report-only updates of an incident go to a room at most this often (`chat.report_update_seconds`).
    public var reportUpdateInterval: TimeInterval = 300

    public init(
        gather: TimeInterval = 5, photoWait: TimeInterval = 30, maxAttempts: Int? = nil,
        maxAge: TimeInterval = 24 * 3600, reportUpdateInterval: TimeInterval = 300
    ) {
        self.gather = gather
        self.photoWait = photoWait
        self.maxAttempts = maxAttempts
        self.maxAge = maxAge
        self.reportUpdateInterval = reportUpdateInterval
    }
}

/// What a room's delivery loop should do next.
public enum OutboxClaim: Sendable, Hashable {
    /// Send this message (its summary is frozen; a retry sends the same).
    case send(OutboxMessage)
    /// The room's next message is not ready before this time.
    case wait(until: Date)
    /// Nothing is pending for the room.
    case idle
}

/// One attempt's outcome, to be recorded.
public struct OutboxAttempt: Sendable, Hashable {
    public var id: Int64
    public var outcome: DeliveryOutcome
    /// When a retry is due, should the outcome call for one.
    public var retryAt: Date

    public init(id: Int64, outcome: DeliveryOutcome, retryAt: Date) {
        self.id = id
        self.outcome = outcome
        self.retryAt = retryAt
    }
}

/// What ``Store/advanceOutbox(room:recording:claim:after:settings:)`` did.
public struct OutboxAdvance: Sendable, Hashable {
    /// The state of each recorded message afterwards, in the order given.
    public var states: [OutboxMessage.State] = []
    /// The messages claimed, in order, summaries frozen.
    public var claimed: [OutboxMessage] = []
    /// Why claiming stopped short of the count (`.idle`, or `.wait` for the next message); nil when it did not.
    public var rest: OutboxClaim?

    public init() {}
}

/// Which outbox messages a listing returns.
public struct OutboxFilter: Sendable, Hashable {
    public var states: Set<OutboxMessage.State>
    public var room: String?
    public var limit: Int

    public init(states: Set<OutboxMessage.State> = [], room: String? = nil, limit: Int = 100) {
        self.states = states
        self.room = room
        self.limit = limit
    }

    /// Queued and sending messages.
    public static let pending = OutboxFilter(states: [.queued, .sending])
    /// Dead letters.
    public static let failed = OutboxFilter(states: [.dead])
}

extension Store {
    /// Chat events written and not yet routed (or cleared).
    public func chatEventBacklog() async throws(NoroshiError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM chat_event") ?? 0 }
    }

    /// Deletes every chat event: with no rooms configured nobody will read them. Returns how many.
    @discardableResult
    public func clearChatEvents() async throws(NoroshiError) -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM chat_event")
            return db.changesCount
        }
    }

    /// Routes committed chat events to rooms: each becomes an outbox row, or joins the room's queued row for
    /// the same incident. Returns the rooms that got work; `rooms` says where an incident goes as it stands, for
    /// the reason at hand (a 即報 reminder goes to its own rooms).
    @discardableResult
    public func routeChatEvents(
        settings: OutboxSettings,
        limit: Int = 1000,
        roomStarts: [String: Int64] = [:],
        rooms: @escaping @Sendable (Incident, Summary.Reason) -> [String]
    ) async throws(NoroshiError) -> Set<String> {
        try await write { db in
            let events = try Row.fetchAll(
                db, sql: "SELECT id, incident_id, reason, at FROM chat_event ORDER BY id LIMIT ?", arguments: [limit])
            guard let lastID: Int64 = events.last?["id"] else { return [] }
            var touched = Set<String>()
            for event in events {
                guard let reason = Summary.Reason(rawValue: event["reason"]) else { continue }
                var incident = try Rows.fetchIncident(db, id: event["incident_id"])
                if incident.mergedInto != nil {
                    // Only new photos carry over to the incident it was merged into; its opening or status
                    // is old news there, and the merge has a message of its own.
                    guard reason == .photoAdded else { continue }
                    incident = try Rows.resolveIncident(db, reference: String(incident.id))
                }
                let at: Int64 = event["at"]
                let wait = reason == .opened || reason == .photoAdded ? settings.gather : 0
                for room in rooms(incident, reason) where at >= roomStarts[room] ?? .min {
                    var readyAt = at + Int64(wait * 1000)
                    if reason == .reportAdded {
                        // A report-only update waits until the interval since the room's last message passed.
                        let last = try db.cachedValue(
                            Int64.self,
                            sql: """
                                SELECT max(coalesce(delivered_at, ready_at)) FROM outbox
                                WHERE room = ? AND incident_id = ? AND state IN ('sending', 'delivered')
                                """,
                            arguments: [room, incident.id])
                        if let last { readyAt = max(readyAt, last + Int64(settings.reportUpdateInterval * 1000)) }
                    }
                    try Self.enqueue(
                        room: room, incidentID: incident.id, reason: reason, at: at, readyAt: readyAt, in: db)
                    touched.insert(room)
                }
            }
            try db.execute(sql: "DELETE FROM chat_event WHERE id <= ?", arguments: [lastID])
            return touched
        }
    }

    private static func enqueue(
        room: String, incidentID: Int64, reason: Summary.Reason, at: Int64, readyAt: Int64, in db: Database
    ) throws {
        let photo = reason == .photoAdded ? 1 : 0
        if let row = try db.cachedRow(
            sql: "SELECT id, reasons, ready_at FROM outbox WHERE room = ? AND incident_id = ? AND state = 'queued'",
            arguments: [room, incidentID])
        {
            var reasons = (row["reasons"] as String).split(separator: ",").map(String.init)
            if !reasons.contains(reason.rawValue) { reasons.append(reason.rawValue) }
            try db.executeCached(
                sql: """
                    UPDATE outbox SET reasons = ?, updates = updates + 1, new_photos = new_photos + ?,
                        ready_at = min(ready_at, ?) WHERE id = ?
                    """,
                arguments: [reasons.joined(separator: ","), photo, readyAt, row["id"] as Int64])
        } else {
            try db.executeCached(
                sql: """
                    INSERT INTO outbox (room, incident_id, reasons, new_photos, state, created_at, ready_at)
                    VALUES (?, ?, ?, ?, 'queued', ?, ?)
                    """,
                arguments: [room, incidentID, reason.rawValue, photo, at, readyAt])
        }
    }

    /// The room's next message, in order: one being retried, else the oldest queued one, its summary frozen now.
    ///
    /// A message whose incident's newest photo still waits for its chat copy is held back (up to
    /// `settings.photoWait` after the photo arrived) so that the image goes with it. `after` looks past the
    /// message with that id and those before it: the one on the wire while the next is claimed.
    public func nextOutboxMessage(
        room: String, settings: OutboxSettings, after: Int64? = nil
    ) async throws(NoroshiError) -> OutboxClaim {
        let now = clock.now().millisecondsSince1970
        return try await write { db in
            try Self.claim(room: room, settings: settings, after: after, now: now, in: db)
        }
    }

    static func claim(
        room: String, settings: OutboxSettings, after: Int64?, now: Int64, in db: Database
    ) throws -> OutboxClaim {
        while true {
            guard
                let row = try db.cachedRow(
                    sql: """
                        SELECT \(Self.outboxColumns) FROM outbox o
                        WHERE o.room = ? AND o.state IN ('queued', 'sending') AND o.id > ? ORDER BY o.id LIMIT 1
                        """,
                    arguments: [room, after ?? 0])
            else { return .idle }
            var message = try Self.outboxMessage(row)
            let readyAt: Int64 = row["ready_at"]
            if readyAt > now { return .wait(until: Rows.date(readyAt)) }
            if message.state == .sending { return .send(message) }
            let incidentID: Int64 = row["incident_id"]
            let incident = try Rows.fetchIncident(db, id: incidentID)
            if let into = incident.mergedInto {
                try db.executeCached(
                    sql: "UPDATE outbox SET state = 'dropped', last_error = ? WHERE id = ?",
                    arguments: [
                        "Incident \(incident.number) was merged into \(into) before this was sent.", message.id,
                    ])
                continue
            }
            let photos = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.sha256, p.derivatives, p.chat_width, p.chat_height, rp.added_at
                    FROM report_photo rp JOIN report r ON r.id = rp.report_id JOIN photo p ON p.sha256 = rp.sha256
                    WHERE r.incident_id = ? ORDER BY rp.added_at DESC, rp.sha256 DESC
                    """,
                arguments: [incidentID])
            if let newest = photos.first, newest["derivatives"] as String == Photo.Derivatives.pending.rawValue {
                let waitUntil = (newest["added_at"] as Int64) + Int64(settings.photoWait * 1000)
                if waitUntil > now {
                    // Look again in a moment; nothing is written, so the message is ready the moment the copy
                    // is (a ready_at written here would also hold it back until a drill's clock reached it).
                    return .wait(until: Rows.date(min(waitUntil, now + 250)))
                }
            }
            let image = photos.lazy.compactMap { photo -> Summary.Image? in
                guard photo["derivatives"] as String == Photo.Derivatives.ready.rawValue,
                    let width: Int = photo["chat_width"], let height: Int = photo["chat_height"]
                else { return nil }
                return Summary.Image(sha256: photo["sha256"], width: width, height: height)
            }.first
            // The newest report by observed time: quoted, and its time is the summary's last report.
            let newest = try db.cachedRow(
                sql: """
                    SELECT text, unit, observed_at FROM report WHERE incident_id = ?
                    ORDER BY observed_at DESC, id DESC LIMIT 1
                    """,
                arguments: [incidentID])
            let lastReport: Int64? = newest?[2]
            let mergedFrom = try String.fetchAll(
                db, sql: "SELECT number FROM incident WHERE merged_into_id = ? ORDER BY id", arguments: [incidentID]
            )
            var summary = Summary(
                incident: incident, reasons: message.reasons, photoCount: photos.count,
                newPhotos: row["new_photos"], lastReportAt: lastReport.map(Rows.date), mergedFrom: mergedFrom,
                image: image)
            if let report = newest {
                summary.newestReport = Summary.ReportLine(
                    text: Terminal.visible(report[0]), unit: (report[1] as String?).map(Terminal.visible),
                    observedAt: Rows.date(report[2]))
            }
            // What the room was told last time, to say what changed since.
            if let json = try db.cachedValue(
                String.self,
                sql: """
                    SELECT summary FROM outbox WHERE room = ? AND incident_id = ? AND state = 'delivered'
                    ORDER BY id DESC LIMIT 1
                    """,
                arguments: [room, incidentID]),
                let previous = try? JSONDecoder.noroshi().decode(Summary.self, from: Data(json.utf8))
            {
                summary.newReports = max(0, incident.reportCount - previous.reportCount)
                summary.previousCasualties = previous.casualties
                summary.previousHomes = previous.homes
            }
            if message.reasons.contains(.sokuhoIssued) {
                summary.sokuho = incident.sokuho?.count
            }
            if message.reasons.contains(.sokuhoReminder) {
                summary.minutesSinceKakuchi = Int(Rows.date(now).timeIntervalSince(incident.openedAt) / 60)
            }
            let json = String(decoding: try JSONEncoder.noroshi().encode(summary), as: UTF8.self)
            try db.executeCached(
                sql: "UPDATE outbox SET state = 'sending', summary = ? WHERE id = ?", arguments: [json, message.id])
            message.state = .sending
            message.summary = summary
            return .send(message)
        }
    }

    /// Records an attempt's outcome: delivered, to be retried at `retryAt`, or dead (a permanent failure, or the
    /// last allowed attempt). Returns the message as it stands afterwards.
    @discardableResult
    public func finishOutboxMessage(
        id: Int64,
        outcome: DeliveryOutcome,
        retryAt: Date,
        settings: OutboxSettings
    ) async throws(NoroshiError) -> OutboxMessage {
        let now = clock.now().millisecondsSince1970
        return try await write { db in
            try Self.finish(id: id, outcome: outcome, retryAt: retryAt, settings: settings, now: now, in: db)
            return try Self.fetchOutboxMessage(db, id: id)
        }
    }

    /// Records attempts' outcomes, in order, and claims up to `count` of the room's next messages after
    /// `after` (see ``nextOutboxMessage(room:settings:after:)``), all in one transaction: an unpaced room
    /// commits once for several messages.
    public func advanceOutbox(
        room: String,
        recording attempts: [OutboxAttempt],
        claim count: Int,
        after: Int64?,
        settings: OutboxSettings
    ) async throws(NoroshiError) -> OutboxAdvance {
        let now = clock.now().millisecondsSince1970
        return try await write { db in
            var advance = OutboxAdvance()
            for attempt in attempts {
                advance.states.append(
                    try Self.finish(
                        id: attempt.id, outcome: attempt.outcome, retryAt: attempt.retryAt, settings: settings,
                        now: now, in: db))
            }
            var last = after
            while advance.claimed.count < count {
                let claim = try Self.claim(room: room, settings: settings, after: last, now: now, in: db)
                guard case .send(let message) = claim else {
                    advance.rest = claim
                    break
                }
                advance.claimed.append(message)
                last = message.id
            }
            return advance
        }
    }

    /// Returns the message's state afterwards.
    @discardableResult
    static func finish(
        id: Int64, outcome: DeliveryOutcome, retryAt: Date, settings: OutboxSettings, now: Int64, in db: Database
    ) throws -> OutboxMessage.State {
        switch outcome {
        case .delivered(let remoteID):
            // Even a message dropped while on the wire: it did reach the room, and the outbox says what happened.
            // A failure of one dropped while on the wire leaves it dropped.
            try db.executeCached(
                sql: """
                    UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, remote_id = ?
                    WHERE id = ?
                    """,
                arguments: [now, remoteID, id])
        case .retry(let reason, let after) where after != nil:
            // The server asked us to wait (429, Retry-After): not a failure, so neither counted nor aged out.
            try db.executeCached(
                sql: "UPDATE outbox SET last_error = ?, ready_at = ? WHERE id = ? AND state != 'dropped'",
                arguments: [reason + " (asked to wait; not counted as a failure)", retryAt.millisecondsSince1970, id])
        case .retry(let reason, _):
            try db.executeCached(
                sql: """
                    UPDATE outbox SET attempts = attempts + 1, last_error = ?,
                        state = CASE WHEN created_at + ? <= ? OR attempts + 1 >= ? THEN 'dead' ELSE state END,
                        ready_at = ?
                    WHERE id = ? AND state != 'dropped'
                    """,
                arguments: [
                    reason, Int64(settings.maxAge * 1000), now, settings.maxAttempts ?? Int.max,
                    retryAt.millisecondsSince1970, id,
                ])
        case .permanent(let reason):
            try db.executeCached(
                sql: """
                    UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = 'dead'
                    WHERE id = ? AND state != 'dropped'
                    """,
                arguments: [reason, id])
        }
        let state = try db.cachedValue(String.self, sql: "SELECT state FROM outbox WHERE id = ?", arguments: [id])
        guard let state, let known = OutboxMessage.State(rawValue: state) else {
            throw NoroshiError(.notFound, "Outbox message \(id) does not exist.")
        }
        if known == .dead {
            let incident = try db.cachedValue(
                Int64.self, sql: "SELECT incident_id FROM outbox WHERE id = ?", arguments: [id])
            try StreamEvents.append(
                type: .messageDead, incidentID: incident, outboxID: id, at: Rows.date(now), in: db)
        }
        return known
    }

    /// Outbox messages matching `filter`, oldest first.
    public func outboxMessages(_ filter: OutboxFilter) async throws(NoroshiError) -> [OutboxMessage] {
        try await read { db in
            var clauses: [String] = []
            var arguments = StatementArguments()
            Rows.whereIn("o.state", filter.states, clauses: &clauses, arguments: &arguments)
            if let room = filter.room {
                clauses.append("o.room = ?")
                _ = arguments.append(contentsOf: [room])
            }
            _ = arguments.append(contentsOf: [max(1, filter.limit)])
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            return try Row.fetchAll(
                db,
                sql: "SELECT \(Self.outboxColumns) FROM outbox o \(whereClause) ORDER BY o.id LIMIT ?",
                arguments: arguments
            ).map(Self.outboxMessage)
        }
    }

    /// One outbox message.
    public func outboxMessage(id: Int64) async throws(NoroshiError) -> OutboxMessage {
        try await read { db in try Self.fetchOutboxMessage(db, id: id) }
    }

    /// Queues a dead letter again, with a fresh count of attempts; it keeps its frozen summary and its id,
    /// so it is the same message. Only dead messages can be retried.
    public func retryOutboxMessage(id: Int64, by principal: Principal) async throws(NoroshiError) -> OutboxMessage {
        let at = clock.now()
        let now = at.millisecondsSince1970
        return try await write { db in
            let message = try Self.fetchOutboxMessage(db, id: id)
            guard message.state == .dead else {
                throw NoroshiError(
                    .conflict,
                    "Outbox message \(id) is \(message.state.rawValue); only dead messages can be retried.")
            }
            try db.executeCached(
                sql: """
                    UPDATE outbox SET state = CASE WHEN summary IS NULL THEN 'queued' ELSE 'sending' END,
                        attempts = 0, ready_at = ? WHERE id = ?
                    """,
                arguments: [now, id])
            try AuditLog.append(
                .outboxRetried, subject: "outbox message \(id)",
                incident: message.incidentNumber, change: ["id": .int(id), "room": .string(message.room)],
                by: principal, at: at, in: db)
            return try Self.fetchOutboxMessage(db, id: id)
        }
    }

    /// How many messages are in each state, for status pages and metrics.
    public func outboxCounts() async throws(NoroshiError) -> [OutboxMessage.State: Int] {
        try await read { db in
            var counts: [OutboxMessage.State: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM outbox GROUP BY state") {
                if let state = OutboxMessage.State(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            counts[.queued, default: 0] += try Int.fetchOne(db, sql: "SELECT count(*) FROM chat_event") ?? 0
            return counts
        }
    }

    /// How many messages each room has in each state (chat events not yet routed are not counted here).
    public func outboxCountsByRoom() async throws(NoroshiError) -> [String: [OutboxMessage.State: Int]] {
        try await read { db in
            var counts: [String: [OutboxMessage.State: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT room, state, count(*) AS n FROM outbox GROUP BY room, state") {
                if let state = OutboxMessage.State(rawValue: row["state"]) {
                    counts[row["room"], default: [:]][state] = row["n"]
                }
            }
            return counts
        }
    }

    /// A random id made when the outbox was created, unique to this database.
    public func instanceID() async throws(NoroshiError) -> String {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'instance'") ?? "0"
        }
    }

    // MARK: Rows

    static let outboxColumns = """
        o.id, o.room, (SELECT number FROM incident WHERE id = o.incident_id) AS incident_number, o.reasons, \
        o.updates, o.state, o.created_at, o.ready_at, o.attempts, o.last_error, o.delivered_at, o.remote_id, \
        o.summary, o.incident_id, o.new_photos
        """

    static func outboxMessage(_ row: Row) throws -> OutboxMessage {
        let reasons: String = row["reasons"]
        let state: String = row["state"]
        let summary: String? = row["summary"]
        let deliveredAt: Int64? = row["delivered_at"]
        return OutboxMessage(
            id: row["id"], room: row["room"], incidentNumber: row["incident_number"],
            reasons: reasons.split(separator: ",").compactMap { Summary.Reason(rawValue: String($0)) },
            updates: row["updates"], state: OutboxMessage.State(rawValue: state) ?? .queued,
            createdAt: Rows.date(row["created_at"]), readyAt: Rows.date(row["ready_at"]), attempts: row["attempts"],
            lastError: row["last_error"], deliveredAt: deliveredAt.map(Rows.date), remoteID: row["remote_id"],
            summary: try summary.map { try JSONDecoder.noroshi().decode(Summary.self, from: Data($0.utf8)) })
    }

    static func fetchOutboxMessage(_ db: Database, id: Int64) throws -> OutboxMessage {
        guard
            let row = try db.cachedRow(sql: "SELECT \(outboxColumns) FROM outbox o WHERE o.id = ?", arguments: [id])
        else { throw NoroshiError(.notFound, "Outbox message \(id) does not exist.") }
        return try outboxMessage(row)
    }
}

/// A running watch on the database; stop it with `cancel()`.
public final class StoreObservation: Sendable {
    private let cancellable: AnyDatabaseCancellable

    init(_ cancellable: AnyDatabaseCancellable) { self.cancellable = cancellable }

    public func cancel() { cancellable.cancel() }
}

extension Store {
    /// Calls `onChange` after every commit that queued chat events (from any connection of this process).
    public func observeChatEvents(_ onChange: @escaping @Sendable () -> Void) async throws(NoroshiError)
        -> StoreObservation
    {
        observe(table: "chat_event", onChange)
    }

    /// Calls `onChange` after every commit that changed what ``activity()`` reads: chat events, the outbox,
    /// photo jobs. A drill waits on these instead of polling.
    public func observeActivity(_ onChange: @escaping @Sendable () -> Void) async throws(NoroshiError)
        -> StoreObservation
    {
        observe(tables: ["chat_event", "outbox", "photo_job"], onChange)
    }

    /// Calls `onChange` after every commit that changed `table`.
    func observe(table: String, _ onChange: @escaping @Sendable () -> Void) -> StoreObservation {
        observe(tables: [table], onChange)
    }

    func observe(tables: [String], _ onChange: @escaping @Sendable () -> Void) -> StoreObservation {
        let table = tables.joined(separator: ", ")
        let observation = DatabaseRegionObservation(tracking: tables.map { Table($0) })
        let cancellable = observation.start(
            in: pool,
            onError: { [logger] error in
                logger.error("Database watch failed", metadata: ["table": "\(table)", "error": "\(error)"])
            },
            onChange: { _ in onChange() })
        return StoreObservation(cancellable)
    }
}
