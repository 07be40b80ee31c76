import Foundation
import GRDB
import NoroshiCore
import NoroshiPlaces

/// Column lists and row decoding shared by every query, so each table is read one way only.
enum Rows {
    // The decoders below read columns by position: keep them in step with these lists.
    static let incidentColumns = """
        i.id, i.number, i.kind, i.title, i.status, i.severity, i.exercise, i.center_lat, i.center_lon,
        i.min_lat, i.max_lat, i.min_lon, i.max_lon, i.place, i.report_count, i.dead, i.missing, i.injured,
        i.opened_at, i.updated_at, i.last_activity_at, i.closed_at,
        (SELECT m.number FROM incident m WHERE m.id = i.merged_into_id) AS merged_into, i.area_code,
        i.title_is_default, \(extraCountColumns("i")), i.hq_level, i.hq_since, i.sokuho_count, i.first_sokuho_at
        """

    /// How many columns `incidentColumns` selects; extra columns of a query follow from this position.
    static let incidentColumnCount = 36

    /// The count columns added in v9 (重傷, 軽傷 and the five 住家被害), prefixed by a table alias.
    static func extraCountColumns(_ alias: String) -> String {
        (Casualties.fields.dropFirst(3).map(\.column) + HomeDamage.fields.map(\.column))
            .map { "\(alias).\($0)" }.joined(separator: ", ")
    }

    /// Optional integers as statement arguments (a count list's values).
    static func arguments(_ values: [Int?]) -> StatementArguments {
        StatementArguments(values.map { $0 as (any DatabaseValueConvertible)? })
    }

    /// Casualties and home damage from a row: dead, missing, injured at `first`, the other seven at `extra`.
    static func counts(_ row: Row, first: Int, extra: Int) -> (Casualties, HomeDamage) {
        let casualties = Casualties(
            dead: row[first], missing: row[first + 1], injured: row[first + 2], severelyInjured: row[extra],
            slightlyInjured: row[extra + 1])
        let homes = HomeDamage(values: (0..<HomeDamage.fields.count).map { row[extra + 2 + $0] as Int? })
        return (casualties, homes)
    }

    static let reportColumns = """
        r.id, r.client_key, r.kind, r.latitude, r.longitude, r.accuracy, r.place, r.text, r.unit, r.reporter,
        r.dead, r.missing, r.injured, r.exercise, r.observed_at, r.received_at, r.incident_id,
        (SELECT number FROM incident WHERE id = r.incident_id) AS incident_number, r.link_mode, r.submitted_by,
        r.position_source, r.observed_at_source, r.area_code, \(extraCountColumns("r"))
        """

    static let timelineColumns = "id, incident_id, at, actor, action, message, report_id"

    /// Decodes a row selected with `incidentColumns`, by position (the hot path of intake reads it per report).
    static func incident(_ row: Row) throws -> Incident {
        let kindName: String = row[2]
        let statusName: String = row[4]
        guard let kind = IncidentKind(rawValue: kindName), let status = IncidentStatus(rawValue: statusName) else {
            throw NoroshiError(.internal, "Incident row \(row[0] as Int64) has an unknown kind or status.")
        }
        var centre: GeoPoint?
        if let lat: Double = row[7], let lon: Double = row[8] {
            centre = try? GeoPoint(latitude: lat, longitude: lon)
        }
        var extent: GeoBox?
        if let minLat: Double = row[9], let maxLat: Double = row[10], let minLon: Double = row[11],
            let maxLon: Double = row[12]
        {
            extent = GeoBox(minLatitude: minLat, maxLatitude: maxLat, minLongitude: minLon, maxLongitude: maxLon)
        }
        var incident = Incident(
            id: row[0],
            number: row[1],
            kind: kind,
            title: row[3],
            status: status,
            severity: row[5],
            exercise: row[6],
            centre: centre,
            extent: extent,
            place: row[13],
            reportCount: row[14],
            casualties: counts(row, first: 15, extra: 25).0,
            openedAt: date(row[18]),
            updatedAt: date(row[19]),
            lastActivityAt: date(row[20]),
            closedAt: (row[21] as Int64?).map(date),
            mergedInto: row[22]
        )
        incident.area = (row[23] as String?).flatMap(Places.shared.area(code:))
        incident.titleIsDefault = row[24]
        incident.homes = counts(row, first: 15, extra: 25).1
        if let level = (row[32] as String?).flatMap(HeadquartersStatus.Level.init(rawValue:)),
            let since: Int64 = row[33]
        {
            incident.headquarters = HeadquartersStatus(level: level, since: date(since))
        }
        incident.sokuho = SokuhoState(
            count: row[34], firstIssuedAt: (row[35] as Int64?).map(date),
            dueAt: incident.openedAt.addingTimeInterval(SokuhoState.deadline))
        return incident
    }

    /// Decodes a row selected with `reportColumns`, by position.
    static func report(_ row: Row) throws -> Report {
        let kindName: String = row[2]
        let modeName: String = row[18]
        let positionSource: String? = row[20]
        let observedAtSource: String = row[21]
        guard let kind = IncidentKind(rawValue: kindName), let mode = Report.LinkMode(rawValue: modeName),
            let observedFrom = Report.Source(rawValue: observedAtSource)
        else {
            throw NoroshiError(.internal, "Report row \(row[0] as Int64) has an unknown kind, link mode or source.")
        }
        var report = Report(
            id: row[0],
            clientKey: row[1],
            kind: kind,
            latitude: row[3],
            longitude: row[4],
            accuracy: row[5],
            place: row[6],
            text: row[7],
            unit: row[8],
            reporter: row[9],
            casualties: counts(row, first: 10, extra: 23).0,
            exercise: row[13],
            observedAt: date(row[14]),
            receivedAt: date(row[15]),
            incidentID: row[16],
            incidentNumber: row[17],
            linkMode: mode,
            submittedBy: row[19],
            positionSource: positionSource.flatMap(Report.Source.init(rawValue:)),
            observedAtSource: observedFrom
        )
        report.area = (row[22] as String?).flatMap(Places.shared.area(code:))
        report.homes = counts(row, first: 10, extra: 23).1
        return report
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

    /// Adds `column IN (?, …)` for a filter's set of values, in a stable order; nothing for an empty set.
    static func whereIn<Value: RawRepresentable>(
        _ column: String, _ values: Set<Value>, clauses: inout [String], arguments: inout StatementArguments
    ) where Value.RawValue == String {
        guard !values.isEmpty else { return }
        clauses.append("\(column) IN (\(values.map { _ in "?" }.joined(separator: ",")))")
        for value in values.map(\.rawValue).sorted() {
            _ = arguments.append(contentsOf: [value])
        }
    }

    /// Adds the condition that an incident's area lies in a prefecture: its code starts with the two digits.
    static func inPrefecture(_ number: Int, clauses: inout [String], arguments: inout StatementArguments) {
        clauses.append("i.area_code >= ? AND i.area_code < ?")
        _ = arguments.append(contentsOf: [String(format: "%02d", number), String(format: "%02d", number + 1)])
    }

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
