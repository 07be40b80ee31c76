import Foundation
import GRDB
import NoroshiCore

/// The step that tells chat rooms a change happened: one `chat_event` row, in the change's transaction, that
/// the delivery service routes to rooms. Each place that changes what rooms hear about calls it by name —
/// writing the timeline (``IncidentWriter/record(incidentID:action:message:actor:reportID:at:in:)``) no longer
/// does it on the side.
///
/// What chat hears: an incident opened, its status or severity changed, photos, a merge, counts or
/// headquarters set by HQ, a 即報 issued — at once — and a report joining it (`reportAdded`, a 続報), which the
/// router paces to `chat.report_update_seconds` per room unless the report raised a count (`countsChanged`,
/// at once). Titles, links and unlinks are not news for a room.
enum ChatEvents {
    static func queue(_ reason: Summary.Reason, incidentID: Int64, at now: Date, in db: Database) throws {
        try db.executeCached(
            sql: "INSERT INTO chat_event (incident_id, reason, at) VALUES (?, ?, ?)",
            arguments: [incidentID, reason.rawValue, now.millisecondsSince1970])
    }
}
