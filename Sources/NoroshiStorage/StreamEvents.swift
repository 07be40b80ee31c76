import Foundation
import GRDB
import NoroshiCore

/// One event of `GET /v1/events`: something the board shows changed. Its id orders the stream and is the
/// SSE event id, so a client that reconnects with `Last-Event-ID` is sent exactly what it missed.
public struct StreamEvent: Sendable, Hashable, Codable, Identifiable {
    /// What happened; the SSE `event:` field.
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        case incidentOpened = "incident.opened"
        case incidentChanged = "incident.changed"
        case reportJoined = "report.joined"
        case photoReady = "photo.ready"
        case messageDead = "message.dead"
    }

    public var id: Int64
    public var at: Date
    public var kind: Kind
    /// The incident's number, when the event concerns one.
    public var incident: String?
    public var reportID: Int64?
    public var sha256: String?
    public var outboxID: Int64?

    public init(
        id: Int64, at: Date, kind: Kind, incident: String?, reportID: Int64? = nil, sha256: String? = nil,
        outboxID: Int64? = nil
    ) {
        self.id = id
        self.at = at
        self.kind = kind
        self.incident = incident
        self.reportID = reportID
        self.sha256 = sha256
        self.outboxID = outboxID
    }

    /// The event as one Server-Sent Events frame (`id`, `event`, `data` lines and a blank line). Made by hand,
    /// once per event for every open stream: every value is a number, a time, an incident number, a hex digest
    /// or a type name, none of which needs escaping in JSON.
    public var frame: String {
        var data = "{\"at\":\"\(RFC3339.string(from: at))\",\"id\":\(id)"
        if let incident { data += ",\"incident\":\"\(incident)\"" }
        if let outboxID { data += ",\"outbox_id\":\(outboxID)" }
        if let reportID { data += ",\"report_id\":\(reportID)" }
        if let sha256 { data += ",\"sha256\":\"\(sha256)\"" }
        data += ",\"type\":\"\(kind.rawValue)\"}"
        return "id: \(id)\nevent: \(kind.rawValue)\ndata: \(data)\n\n"
    }

    enum CodingKeys: String, CodingKey {
        case id, at, incident, sha256
        case kind = "type"
        case reportID = "report_id"
        case outboxID = "outbox_id"
    }
}

/// Writes stream events, always inside the transaction of the change they announce.
enum StreamEvents {
    static func append(
        type: StreamEvent.Kind, incidentID: Int64?, reportID: Int64? = nil, photo: String? = nil,
        outboxID: Int64? = nil, at now: Date, in db: Database
    ) throws {
        // The incident's number is read with the event, not here: intake writes one event per report.
        try db.executeCached(
            sql: """
                INSERT INTO stream_event (at, type, incident_id, report_id, sha256, outbox_id)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [now.millisecondsSince1970, type.rawValue, incidentID, reportID, photo, outboxID])
    }
}

extension Store {
    /// Up to `limit` stream events after `id`, oldest first.
    public func streamEvents(after id: Int64, limit: Int = 500) async throws(NoroshiError) -> [StreamEvent] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.id, e.at, e.type, i.number AS incident_number, e.report_id, e.sha256, e.outbox_id
                    FROM stream_event e LEFT JOIN incident i ON i.id = e.incident_id
                    WHERE e.id > ? ORDER BY e.id LIMIT ?
                    """, arguments: [id, limit]
            ).compactMap(Self.streamEvent)
        }
    }

    /// The id of the newest stream event, 0 when there is none.
    public func lastStreamEventID() async throws(NoroshiError) -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM stream_event") ?? 0 }
    }

    /// Removes stream events older than `age`; a client away longer than that reloads its page instead.
    public func pruneStreamEvents(olderThan age: Duration) async throws(NoroshiError) {
        let cutoff = clock.now().addingTimeInterval(-age.timeInterval).millisecondsSince1970
        try await write { db in
            try db.execute(sql: "DELETE FROM stream_event WHERE at < ?", arguments: [cutoff])
        }
    }

    /// Calls `onChange` after every commit that wrote stream events (from any connection of this process).
    public func observeStreamEvents(_ onChange: @escaping @Sendable () -> Void) -> StoreObservation {
        observe(table: "stream_event", onChange)
    }

    private static func streamEvent(_ row: Row) -> StreamEvent? {
        guard let kind = StreamEvent.Kind(rawValue: row["type"]) else { return nil }
        return StreamEvent(
            id: row["id"], at: Rows.date(row["at"]), kind: kind, incident: row["incident_number"],
            reportID: row["report_id"], sha256: row["sha256"], outboxID: row["outbox_id"])
    }
}
