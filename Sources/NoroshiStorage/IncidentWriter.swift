import Foundation
import GRDB
import NoroshiCore
import NoroshiPlaces

/// The writes that keep an incident row true: opening, absorbing a report, recomputing, timeline events.
enum IncidentWriter {
    /// Opens a new incident with the next number for its kind, flag and year; returns its id.
    static func open(
        kind: IncidentKind,
        exercise: Bool,
        place: String?,
        area: Area?,
        located: Bool,
        at now: Date,
        observedAt: Date,
        in db: Database
    ) throws -> Int64 {
        let prefix = IncidentNumber.prefix(kind: kind, exercise: exercise)
        let year = IncidentNumber.year(of: now)
        guard
            let sequence = try db.cachedValue(
                Int.self,
                sql: """
                    INSERT INTO incident_sequence (prefix, year, last) VALUES (?, ?, 1)
                    ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1
                    RETURNING last
                    """,
                arguments: [prefix, year]
            )
        else { throw NoroshiError(.internal, "Could not allocate an incident number.") }
        let number = IncidentNumber(kind: kind, exercise: exercise, year: year, sequence: sequence)
        let ms = now.millisecondsSince1970
        try db.executeCached(
            sql: """
                INSERT INTO incident (number, kind, title, title_is_default, status, exercise, is_open, place,
                    area_code, opened_at, updated_at, last_activity_at, status_changed_at)
                VALUES (?, ?, ?, 1, ?, ?, 1, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                number.description, kind.rawValue,
                Incident.defaultTitle(kind: kind, area: area, place: place, located: located),
                IncidentStatus.reported.rawValue, exercise, place, area?.code, ms, ms,
                observedAt.millisecondsSince1970, ms,
            ]
        )
        return db.lastInsertedRowID
    }

    /// Folds one new report into its incident's counts, centre, extent, place and casualties; returns the
    /// incident as stored afterwards (intake answers with it without reading it again) and whether a casualty
    /// or damage count rose.
    static func absorb(
        report: ValidReport, area: Area?, into incidentID: Int64, at now: Date, in db: Database
    ) throws -> (incident: Incident, countsRose: Bool) {
        guard
            let row = try db.cachedRow(
                sql: """
                    SELECT \(Rows.incidentColumns), i.located_count, i.casualties_at, i.homes_at
                    FROM incident i WHERE i.id = ?
                    """,
                arguments: [incidentID]
            )
        else { throw NoroshiError(.notFound, "Incident \(incidentID) does not exist.") }
        var incident = try Rows.incident(row)
        var located: Int = row[Rows.incidentColumnCount]
        var casualtiesAt: Int64? = row[Rows.incidentColumnCount + 1]
        var homesAt: Int64? = row[Rows.incidentColumnCount + 2]
        if let position = report.position {
            located += 1
            let n = Double(located)
            let latitude = incident.centre?.latitude ?? 0
            let longitude = incident.centre?.longitude ?? 0
            // The running mean of valid coordinates is a valid coordinate.
            incident.centre = try GeoPoint(
                latitude: latitude + (position.latitude - latitude) / n,
                longitude: longitude + (position.longitude - longitude) / n
            )
            incident.extent = incident.extent?.including(position) ?? GeoBox(point: position)
        }
        let observed = report.observedAt.millisecondsSince1970
        let before = (incident.casualties, incident.homes)
        if !report.casualties.isEmpty, observed >= (casualtiesAt ?? .min) {
            incident.casualties = incident.casualties.updated(with: report.casualties)
            casualtiesAt = observed
        }
        if !report.homes.isEmpty, observed >= (homesAt ?? .min) {
            incident.homes = incident.homes.updated(with: report.homes)
            homesAt = observed
        }
        incident.reportCount += 1
        incident.place = incident.place ?? report.place
        incident.area = incident.area ?? area
        if incident.titleIsDefault {
            incident.title = Incident.defaultTitle(
                kind: incident.kind, area: incident.area, place: incident.place, located: incident.centre != nil)
        }
        incident.lastActivityAt = Rows.date(max(incident.lastActivityAt.millisecondsSince1970, observed))
        incident.updatedAt = Rows.date(now.millisecondsSince1970)
        try db.executeCached(
            sql: """
                UPDATE incident SET report_count = ?, located_count = ?,
                    center_lat = ?, center_lon = ?, min_lat = ?, max_lat = ?, min_lon = ?, max_lon = ?,
                    place = ?, dead = ?, missing = ?, injured = ?, casualties_at = ?,
                    last_activity_at = ?, updated_at = ?, area_code = ?, title = ?,
                    severely_injured = ?, slightly_injured = ?, homes_at = ?, \(Self.homeAssignments)
                WHERE id = ?
                """,
            arguments: [
                incident.reportCount, located, incident.centre?.latitude, incident.centre?.longitude,
                incident.extent?.minLatitude, incident.extent?.maxLatitude, incident.extent?.minLongitude,
                incident.extent?.maxLongitude, incident.place, incident.casualties.dead, incident.casualties.missing,
                incident.casualties.injured, casualtiesAt, incident.lastActivityAt.millisecondsSince1970,
                incident.updatedAt.millisecondsSince1970, incident.area?.code, incident.title,
                incident.casualties.severelyInjured, incident.casualties.slightlyInjured, homesAt,
            ] + Rows.arguments(incident.homes.values) + [incidentID]
        )
        let rose = !before.0.rises(to: incident.casualties).isEmpty || !before.1.rises(to: incident.homes).isEmpty
        return (incident, rose)
    }

    /// Recomputes an incident's aggregates from its reports, after reports moved in or out by hand.
    static func recompute(incidentID: Int64, at now: Date, in db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE incident SET
                    report_count = (SELECT count(*) FROM report WHERE incident_id = incident.id),
                    located_count = (SELECT count(latitude) FROM report WHERE incident_id = incident.id),
                    center_lat = (SELECT avg(latitude) FROM report WHERE incident_id = incident.id),
                    center_lon = (SELECT avg(longitude) FROM report WHERE incident_id = incident.id),
                    min_lat = (SELECT min(latitude) FROM report WHERE incident_id = incident.id),
                    max_lat = (SELECT max(latitude) FROM report WHERE incident_id = incident.id),
                    min_lon = (SELECT min(longitude) FROM report WHERE incident_id = incident.id),
                    max_lon = (SELECT max(longitude) FROM report WHERE incident_id = incident.id),
                    \(Self.latestCountAssignments),
                    casualties_at = \(Self.latestTime(of: Casualties.fields.map(\.column))),
                    homes_at = \(Self.latestTime(of: HomeDamage.fields.map(\.column))),
                    last_activity_at = max(status_changed_at,
                        coalesce((SELECT max(observed_at) FROM report WHERE incident_id = incident.id), 0)),
                    area_code = (SELECT area_code FROM report WHERE incident_id = incident.id
                        AND area_code IS NOT NULL ORDER BY received_at, id LIMIT 1),
                    updated_at = ?
                WHERE id = ?
                """,
            arguments: [now.millisecondsSince1970, incidentID]
        )
        try refreshDefaultTitle(incidentID: incidentID, in: db)
    }

    /// `homes_destroyed = ?, …` for the five 住家被害 columns, in field order.
    static let homeAssignments = HomeDamage.fields.map { "\($0.column) = ?" }.joined(separator: ", ")

    /// Each count set to its latest value among the incident's reports (by observed time) and HQ's own
    /// settings (by the time HQ set it).
    static let latestCountAssignments = (Casualties.fields.map(\.column) + HomeDamage.fields.map(\.column)).map {
        column in
        """
        \(column) = (SELECT value FROM (
                SELECT \(column) AS value, observed_at AS at, 0 AS hq, id FROM report
                    WHERE incident_id = incident.id AND \(column) IS NOT NULL
                UNION ALL
                SELECT value, at, 1, id FROM count_set WHERE incident_id = incident.id AND field = '\(column)'
            ) ORDER BY at DESC, hq DESC, id DESC LIMIT 1)
        """
    }.joined(separator: ",\n")

    /// The latest time any of `columns` was reported or set, for the `casualties_at` / `homes_at` columns.
    static func latestTime(of columns: [String]) -> String {
        let given = columns.map { "\($0) IS NOT NULL" }.joined(separator: " OR ")
        let fields = columns.map { "'\($0)'" }.joined(separator: ", ")
        return """
            nullif(max(coalesce((SELECT max(observed_at) FROM report WHERE incident_id = incident.id AND (\(given))), 0),
                coalesce((SELECT max(at) FROM count_set WHERE incident_id = incident.id AND field IN (\(fields))), 0)), 0)
            """
    }

    /// Writes the default title again from the incident's kind, area and place, unless HQ has set one.
    /// It reads only the columns it needs, as the v8 migration calls it before later columns exist.
    static func refreshDefaultTitle(incidentID: Int64, in db: Database) throws {
        guard
            let row = try db.cachedRow(
                sql: """
                    SELECT kind, area_code, place, center_lat IS NOT NULL, title FROM incident
                    WHERE id = ? AND title_is_default = 1
                    """,
                arguments: [incidentID]),
            let kind = IncidentKind(rawValue: row[0])
        else { return }
        let area = (row[1] as String?).flatMap(Places.shared.area(code:))
        let title = Incident.defaultTitle(kind: kind, area: area, place: row[2], located: row[3])
        guard title != row[4] as String else { return }
        try db.executeCached(sql: "UPDATE incident SET title = ? WHERE id = ?", arguments: [title, incidentID])
    }

    /// Moves every report of incident `source` into `target` and closes `source` as merged into it (earlier
    /// merges into `source` now point at `target`); the caller records the timeline events.
    static func merge(_ source: Int64, into target: Int64, at now: Date, in db: Database) throws {
        let ms = now.millisecondsSince1970
        try db.executeCached(
            sql: "UPDATE report SET incident_id = ? WHERE incident_id = ?", arguments: [target, source])
        try db.executeCached(
            sql: "UPDATE incident SET merged_into_id = ? WHERE merged_into_id = ?", arguments: [target, source])
        try db.executeCached(
            sql: "UPDATE count_set SET incident_id = ? WHERE incident_id = ?", arguments: [target, source])
        try db.executeCached(
            sql: """
                UPDATE incident SET merged_into_id = ?, is_open = 0, closed_at = coalesce(closed_at, ?),
                    report_count = 0, located_count = 0, updated_at = ?
                WHERE id = ?
                """,
            arguments: [target, ms, ms, source]
        )
        try recompute(incidentID: target, at: now, in: db)
    }

    /// Appends a timeline event; called in the same transaction as the change it records.
    static func record(
        incidentID: Int64,
        action: TimelineEvent.Action,
        message: String,
        actor: String,
        reportID: Int64? = nil,
        at now: Date,
        in db: Database
    ) throws {
        try db.executeCached(
            sql: """
                INSERT INTO timeline_event (incident_id, at, actor, action, message, report_id)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [incidentID, now.millisecondsSince1970, actor, action.rawValue, message, reportID]
        )
        try StreamEvents.append(
            type: action == .opened ? .incidentOpened : action == .reportAdded ? .reportJoined : .incidentChanged,
            incidentID: incidentID, reportID: reportID, at: now, in: db)
    }
}
