import Foundation
import GRDB
import NoroshiCore

extension Store {
    /// Writes the counts and headquarters status HQ set in `change`, each into the incident and (counts) into
    /// `count_set`, with one timeline event for what changed; part of the transaction of `change(_:_:by:)`.
    static func setCounts(
        _ change: IncidentChange, of incident: Incident, by actor: String, at now: Date, in db: Database
    ) throws {
        let ms = now.millisecondsSince1970
        var changed: [String] = []
        func apply<C: DamageCounts>(_ counts: C?, current: C, timeColumn: String) throws {
            guard let counts, !counts.isEmpty else { return }
            var assignments: [String] = []
            var arguments = StatementArguments()
            for (field, value) in counts.entries {
                guard let value else { continue }
                assignments.append("\(field.column) = ?")
                _ = arguments.append(contentsOf: [value])
                try db.executeCached(
                    sql: "INSERT INTO count_set (incident_id, field, value, at, actor) VALUES (?, ?, ?, ?, ?)",
                    arguments: [incident.id, field.column, value, ms, actor])
                let before = current[keyPath: field.path]
                if before != value {
                    changed.append("\(field.english) \(value) (was \(before.map(String.init) ?? "unknown"))")
                }
            }
            _ = arguments.append(contentsOf: [ms, ms, incident.id])
            try db.execute(
                sql: """
                    UPDATE incident SET \(assignments.joined(separator: ", ")),
                        \(timeColumn) = max(coalesce(\(timeColumn), 0), ?), updated_at = ?
                    WHERE id = ?
                    """,
                arguments: arguments)
        }
        try apply(change.casualties, current: incident.casualties, timeColumn: "casualties_at")
        try apply(change.homes, current: incident.homes, timeColumn: "homes_at")
        if !changed.isEmpty {
            try IncidentWriter.record(
                incidentID: incident.id, action: .countsChanged,
                message: "Counts set: \(changed.joined(separator: ", ")).", actor: actor, at: now, in: db)
            try ChatEvents.queue(.countsChanged, incidentID: incident.id, at: now, in: db)
        }
        if let level = change.headquarters {
            let since = change.headquartersSince ?? now
            let status = HeadquartersStatus(level: level, since: Rows.date(since.millisecondsSince1970))
            guard status != incident.headquarters else { return }
            try db.executeCached(
                sql: "UPDATE incident SET hq_level = ?, hq_since = ?, updated_at = ? WHERE id = ?",
                arguments: [level.rawValue, since.millisecondsSince1970, ms, incident.id])
            let before = incident.headquarters?.level.englishName ?? "not recorded"
            try IncidentWriter.record(
                incidentID: incident.id, action: .headquartersChanged,
                message:
                    "Headquarters: \(level.englishName) (\(level.japaneseName)) since "
                    + "\(RFC3339.string(from: since, utcOffset: 9 * 3600)); was \(before).",
                actor: actor, at: now, in: db)
            try ChatEvents.queue(.headquartersChanged, incidentID: incident.id, at: now, in: db)
        }
    }
}
