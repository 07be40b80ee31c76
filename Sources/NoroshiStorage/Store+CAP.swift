import Foundation
import GRDB
import NoroshiCore

/// What a CAP message about an incident is made of: the incident, its newest report, and the timeline events
/// that number the messages (each change to an incident is a new version of its alert).
public struct CAPSnapshot: Sendable, Hashable {
    public struct Version: Sendable, Hashable {
        public var eventID: Int64
        public var at: Date
    }

    public var incident: Incident
    public var newestReport: Report?
    /// The incident's first timeline event: its first message, the Alert.
    public var first: Version
    /// The newest event: this message.
    public var current: Version
    /// The event before it: the message this one updates (nil for the first).
    public var previous: Version?
}

extension Store {
    /// The snapshot of one incident, by number or id; a merged incident's own (not its survivor's), so that its
    /// feed entry can say Cancel.
    public func capSnapshot(_ reference: String) async throws(NoroshiError) -> CAPSnapshot {
        try await read { db in
            let resolved = try Rows.resolveIncident(db, reference: reference)
            // The incident the reference itself names, even when it was merged away.
            let trimmed = reference.trimmingCharacters(in: .whitespaces)
            let own = try Int64.fetchOne(
                db, sql: "SELECT id FROM incident WHERE number = ? OR id = ?",
                arguments: [IncidentNumber(trimmed)?.description ?? "", Int64(trimmed) ?? -1])
            let incident = try own.map { try Rows.fetchIncident(db, id: $0) } ?? resolved
            return try Self.capSnapshot(db, incident: incident)
        }
    }

    /// Snapshots for a feed: the open incidents that `filter` matches, and those of them closed, cancelled or
    /// merged within `recent` (so that a reader sees the last message, a Cancel among them), newest first.
    public func capSnapshots(_ filter: IncidentFilter, recent: TimeInterval = 86_400) async throws(NoroshiError)
        -> [CAPSnapshot]
    {
        let since = clock.now().addingTimeInterval(-recent).millisecondsSince1970
        return try await read { db in
            var open = filter
            open.state = .open
            var (clauses, arguments) = Self.clauses(for: open)
            var closed = filter
            closed.state = .closed
            let (closedClauses, closedArguments) = Self.clauses(for: closed)
            let openWhere = clauses.joined(separator: " AND ")
            clauses = closedClauses + ["i.closed_at >= ?"]
            _ = arguments.append(contentsOf: closedArguments)
            _ = arguments.append(contentsOf: [since, max(1, filter.limit)])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Rows.incidentColumns) FROM incident i
                    WHERE (\(openWhere.isEmpty ? "1" : openWhere)) OR (\(clauses.joined(separator: " AND ")))
                    ORDER BY i.updated_at DESC, i.id DESC LIMIT ?
                    """,
                arguments: arguments)
            return try rows.map(Rows.incident).filter { Self.withinRadius($0, of: filter) }.map {
                try Self.capSnapshot(db, incident: $0)
            }
        }
    }

    static func capSnapshot(_ db: Database, incident: Incident) throws -> CAPSnapshot {
        func version(_ sql: String) throws -> CAPSnapshot.Version? {
            try db.cachedRow(sql: sql, arguments: [incident.id]).map {
                CAPSnapshot.Version(eventID: $0[0], at: Rows.date($0[1]))
            }
        }
        // One change writes its events in one transaction, at one time: they are one version, named by the last.
        guard
            let current = try version(
                "SELECT id, at FROM timeline_event WHERE incident_id = ? ORDER BY id DESC LIMIT 1"),
            let first = try version("SELECT id, at FROM timeline_event WHERE incident_id = ? ORDER BY id LIMIT 1")
        else { throw NoroshiError(.internal, "Incident \(incident.number) has no timeline.") }
        let previous = try db.cachedRow(
            sql: "SELECT id, at FROM timeline_event WHERE incident_id = ? AND at < ? ORDER BY id DESC LIMIT 1",
            arguments: [incident.id, current.at.millisecondsSince1970]
        ).map { CAPSnapshot.Version(eventID: $0[0], at: Rows.date($0[1])) }
        let report = try db.cachedRow(
            sql: """
                SELECT \(Rows.reportColumns) FROM report r WHERE r.incident_id = ?
                ORDER BY r.observed_at DESC, r.id DESC LIMIT 1
                """,
            arguments: [incident.id]
        ).map(Rows.report)
        return CAPSnapshot(
            incident: incident, newestReport: report, first: first, current: current,
            previous: previous)
    }
}
