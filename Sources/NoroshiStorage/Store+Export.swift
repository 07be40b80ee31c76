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
            var (clauses, arguments) = Self.clauses(for: filter)
            clauses.append("i.id > ?")
            _ = arguments.append(contentsOf: [id, max(1, limit)])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Rows.incidentColumns) FROM incident i WHERE \(clauses.joined(separator: " AND "))
                    ORDER BY i.id LIMIT ?
                    """, arguments: arguments)
            let incidents = try rows.map(Rows.incident)
            return ExportPage(
                rows: incidents.filter { Self.withinRadius($0, of: filter) },
                next: rows.count < limit ? nil : incidents.last?.id)
        }
    }

    /// Up to `limit` reports of the incidents matching `filter`, with an id above `id`, in id order.
    public func exportReports(_ filter: IncidentFilter, after id: Int64, limit: Int) async throws(NoroshiError)
        -> ExportPage<Report>
    {
        try await read { db in
            var (clauses, arguments) = Self.clauses(for: filter)
            clauses.append("r.id > ?")
            _ = arguments.append(contentsOf: [id, max(1, limit)])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Rows.reportColumns), i.center_lat, i.center_lon FROM report r
                    JOIN incident i ON i.id = r.incident_id
                    WHERE \(clauses.joined(separator: " AND ")) ORDER BY r.id LIMIT ?
                    """, arguments: arguments)
            let next: Int64? = rows.count < limit ? nil : rows.last?["id"]
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
