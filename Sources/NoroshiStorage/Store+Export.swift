import Foundation
import GRDB
import NoroshiCore

/// One page of an export: the rows that match, and where the next page starts (nil after the last).
public struct ExportPage<Row: Sendable>: Sendable {
    public var rows: [Row]
    public var next: Int64?
}

extension Store {
    /// Up to `limit` incidents matching `filter` with an id above `id`, in id order: an export reads the
    /// matches page by page, so that a million rows are never in memory at once.
    public func exportIncidents(_ filter: IncidentFilter, after id: Int64, limit: Int) async throws(NoroshiError)
        -> ExportPage<Incident>
    {
        try await read { db in
            let (clauses, arguments) = Self.clauses(for: filter)
            var page = try Self.exportIncidentPage(db, clauses: clauses, arguments: arguments, after: id, limit: limit)
            page.rows = page.rows.filter { Self.withinRadius($0, of: filter) }
            return page
        }
    }

    /// One page of incidents matching `clauses`, by id; shared by the API's and the board's exports.
    static func exportIncidentPage(
        _ db: Database, clauses: [String], arguments: StatementArguments, after id: Int64, limit: Int
    ) throws -> ExportPage<Incident> {
        var arguments = arguments
        _ = arguments.append(contentsOf: [id, max(1, limit)])
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT \(Rows.incidentColumns) FROM incident i WHERE \((clauses + ["i.id > ?"]).joined(separator: " AND "))
                ORDER BY i.id LIMIT ?
                """, arguments: arguments)
        let incidents = try rows.map(Rows.incident)
        return ExportPage(rows: incidents, next: rows.count < limit ? nil : incidents.last?.id)
    }

    /// One page of report rows (with their incident's centre) of the incidents matching `clauses`, by id.
    static func exportReportRows(
        _ db: Database, clauses: [String], arguments: StatementArguments, after id: Int64, limit: Int
    ) throws -> (rows: [Row], next: Int64?) {
        var arguments = arguments
        _ = arguments.append(contentsOf: [id, max(1, limit)])
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT \(Rows.reportColumns), i.center_lat, i.center_lon FROM report r
                JOIN incident i ON i.id = r.incident_id
                WHERE \((clauses + ["r.id > ?"]).joined(separator: " AND ")) ORDER BY r.id LIMIT ?
                """, arguments: arguments)
        return (rows, rows.count < limit ? nil : rows.last?["id"])
    }

    /// Up to `limit` reports of the incidents matching `filter`, with an id above `id`, in id order.
    public func exportReports(_ filter: IncidentFilter, after id: Int64, limit: Int) async throws(NoroshiError)
        -> ExportPage<Report>
    {
        try await read { db in
            let (clauses, arguments) = Self.clauses(for: filter)
            let (rows, next) = try Self.exportReportRows(
                db, clauses: clauses, arguments: arguments, after: id, limit: limit)
            guard let near = filter.near else { return ExportPage(rows: try rows.map(Rows.report), next: next) }
            let matching = try rows.compactMap { row -> Report? in
                // The radius is the incident's, as in the list: a report belongs to what its incident does.
                guard let centre = try? GeoPoint(latitude: row["center_lat"], longitude: row["center_lon"]),
                    centre.distance(to: near) <= filter.radiusMetres
                else { return nil }
                return try Rows.report(row)
            }
            return ExportPage(rows: matching, next: next)
        }
    }

    static func withinRadius(_ incident: Incident, of filter: IncidentFilter) -> Bool {
        guard let near = filter.near else { return true }
        guard let centre = incident.centre else { return false }
        return centre.distance(to: near) <= filter.radiusMetres
    }
}
