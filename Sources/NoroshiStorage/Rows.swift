import Foundation
import GRDB
import NoroshiCore

/// Column lists and row decoding shared by every query, so each table is read one way only.
enum Rows {
    static let incidentColumns = """
        i.id, i.number, i.kind, i.title, i.status, i.severity, i.exercise, i.center_lat, i.center_lon,
        i.min_lat, i.max_lat, i.min_lon, i.max_lon, i.place, i.report_count, i.dead, i.missing, i.injured,
        i.opened_at, i.updated_at, i.last_activity_at, i.closed_at,
        (SELECT m.number FROM incident m WHERE m.id = i.merged_into_id) AS merged_into
        """

    static let reportColumns = """
        r.id, r.client_key, r.kind, r.latitude, r.longitude, r.accuracy, r.place, r.text, r.unit, r.reporter,
        r.dead, r.missing, r.injured, r.exercise, r.observed_at, r.received_at, r.incident_id,
        (SELECT number FROM incident WHERE id = r.incident_id) AS incident_number, r.link_mode, r.submitted_by
        """

    static let timelineColumns = "id, incident_id, at, actor, action, message, report_id"

    static func incident(_ row: Row) throws -> Incident {
        let kindName: String = row["kind"]
        let statusName: String = row["status"]
        guard let kind = IncidentKind(rawValue: kindName), let status = IncidentStatus(rawValue: statusName) else {
            throw NoroshiError(.internal, "Incident row \(row["id"] as Int64) has an unknown kind or status.")
        }
        var centre: GeoPoint?
        if let lat: Double = row["center_lat"], let lon: Double = row["center_lon"] {
            centre = try? GeoPoint(latitude: lat, longitude: lon)
        }
        var extent: GeoBox?
        if let minLat: Double = row["min_lat"], let maxLat: Double = row["max_lat"],
            let minLon: Double = row["min_lon"], let maxLon: Double = row["max_lon"]
        {
            extent = GeoBox(minLatitude: minLat, maxLatitude: maxLat, minLongitude: minLon, maxLongitude: maxLon)
        }
        return Incident(
            id: row["id"],
            number: row["number"],
            kind: kind,
            title: row["title"],
            status: status,
            severity: row["severity"],
            exercise: row["exercise"],
            centre: centre,
            extent: extent,
            place: row["place"],
            reportCount: row["report_count"],
            casualties: Casualties(dead: row["dead"], missing: row["missing"], injured: row["injured"]),
            openedAt: date(row["opened_at"]),
            updatedAt: date(row["updated_at"]),
            lastActivityAt: date(row["last_activity_at"]),
            closedAt: (row["closed_at"] as Int64?).map(date),
            mergedInto: row["merged_into"]
        )
    }

    static func report(_ row: Row) throws -> Report {
        let kindName: String = row["kind"]
        let modeName: String = row["link_mode"]
        guard let kind = IncidentKind(rawValue: kindName), let mode = Report.LinkMode(rawValue: modeName) else {
            throw NoroshiError(.internal, "Report row \(row["id"] as Int64) has an unknown kind or link mode.")
        }
        return Report(
            id: row["id"],
            clientKey: row["client_key"],
            kind: kind,
            latitude: row["latitude"],
            longitude: row["longitude"],
            accuracy: row["accuracy"],
            place: row["place"],
            text: row["text"],
            unit: row["unit"],
            reporter: row["reporter"],
            casualties: Casualties(dead: row["dead"], missing: row["missing"], injured: row["injured"]),
            exercise: row["exercise"],
            observedAt: date(row["observed_at"]),
            receivedAt: date(row["received_at"]),
            incidentID: row["incident_id"],
            incidentNumber: row["incident_number"],
            linkMode: mode,
            submittedBy: row["submitted_by"]
        )
    }

    static func timelineEvent(_ row: Row) throws -> TimelineEvent {
        let actionName: String = row["action"]
        guard let action = TimelineEvent.Action(rawValue: actionName) else {
            throw NoroshiError(.internal, "Timeline row \(row["id"] as Int64) has an unknown action.")
        }
        return TimelineEvent(
            id: row["id"],
            incidentID: row["incident_id"],
            at: date(row["at"]),
            actor: row["actor"],
            action: action,
            message: row["message"],
            reportID: row["report_id"]
        )
    }

    static func date(_ milliseconds: Int64) -> Date { Date(millisecondsSince1970: milliseconds) }

    // MARK: Fetching by id

    static func fetchIncident(_ db: Database, id: Int64) throws -> Incident {
        guard
            let row = try db.cachedRow(sql: "SELECT \(incidentColumns) FROM incident i WHERE i.id = ?", arguments: [id])
        else { throw NoroshiError(.notFound, "Incident \(id) does not exist.") }
        return try incident(row)
    }

    static func fetchReport(_ db: Database, id: Int64) throws -> Report {
        guard
            let row = try db.cachedRow(sql: "SELECT \(reportColumns) FROM report r WHERE r.id = ?", arguments: [id])
        else { throw NoroshiError(.notFound, "Report \(id) does not exist.") }
        return try report(row)
    }

    /// Finds an incident by number (`F-2026-0042`) or numeric id, following merges to the surviving incident.
    static func resolveIncident(_ db: Database, reference: String) throws -> Incident {
        let trimmed = reference.trimmingCharacters(in: .whitespaces)
        var id: Int64?
        if let number = IncidentNumber(trimmed) {
            id = try db.cachedValue(
                Int64.self, sql: "SELECT id FROM incident WHERE number = ?", arguments: [number.description])
        } else if let numeric = Int64(trimmed), numeric > 0 {
            id = try db.cachedValue(Int64.self, sql: "SELECT id FROM incident WHERE id = ?", arguments: [numeric])
        } else {
            throw NoroshiError(.invalidInput, "'\(trimmed.prefix(40))' is not an incident number such as F-2026-0042.")
        }
        guard var current = id else {
            throw NoroshiError(.notFound, "Incident \(trimmed) does not exist.")
        }
        // Merges are flattened when made, but follow a few steps in case of older chains.
        for _ in 0..<16 {
            guard
                let next = try db.cachedValue(
                    Int64.self, sql: "SELECT merged_into_id FROM incident WHERE id = ?", arguments: [current])
            else { break }
            current = next
        }
        return try fetchIncident(db, id: current)
    }
}
