import Foundation
import GRDB
import NoroshiCore

extension Store {
    /// Issues the incident's next 即報 (第N報): a snapshot of the incident as it stands, with 災害の概況 as HQ
    /// wrote it (`situation`), or prefilled from the latest reports when nil or blank. Stored once, never
    /// changed; recorded in the timeline and sent to the incident's chat rooms.
    public func issueSokuho(
        _ reference: String, situation: String?, asOf: Date? = nil, by principal: Principal
    ) async throws(NoroshiError) -> Sokuho {
        let now = clock.now()
        let actor = principal.name
        if let situation { try TextRules.check(situation, field: "situation") }
        let text = situation?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard text.count <= limits.maxTextLength else {
            throw NoroshiError(
                .invalidInput, "The situation is \(text.count) characters long; the limit is \(limits.maxTextLength).")
        }
        if let asOf {
            guard asOf <= now.addingTimeInterval(60) else {
                throw NoroshiError(.invalidInput, "'as_of' lies in the future; a 即報 describes what is known now.")
            }
        }
        return try await write { db in
            let incident = try Rows.resolveIncident(db, reference: reference)
            let sequence = (incident.sokuho?.count ?? 0) + 1
            if let asOf, asOf < incident.openedAt {
                throw NoroshiError(.invalidInput, "'as_of' lies before 覚知 of \(incident.number).")
            }
            let situation = text.isEmpty ? try Self.draftSituation(db, incidentID: incident.id) : text
            let ms = Rows.date(now.millisecondsSince1970)
            let sokuho = Sokuho(
                sequence: sequence, incident: incident, issuedAt: ms,
                asOf: Rows.date((asOf ?? now).millisecondsSince1970), reporter: actor, situation: situation)
            let body = String(decoding: try JSONEncoder.noroshi().encode(sokuho), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO sokuho (incident_id, sequence, issued_at, issued_by, body) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [incident.id, sequence, now.millisecondsSince1970, actor, body])
            try db.execute(
                sql: """
                    UPDATE incident SET sokuho_count = ?, first_sokuho_at = coalesce(first_sokuho_at, ?),
                        updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [sequence, now.millisecondsSince1970, now.millisecondsSince1970, incident.id])
            let late = now.timeIntervalSince(incident.openedAt) > SokuhoState.deadline && sequence == 1
            try IncidentWriter.record(
                incidentID: incident.id, action: .sokuhoIssued,
                message: "\(sokuho.label) issued, as of \(Summary.format(sokuho.asOf, utcOffset: 9 * 3600))"
                    + (late ? ", \(Int(now.timeIntervalSince(incident.openedAt) / 60)) minutes after 覚知." : "."),
                actor: actor, at: now, in: db)
            try ChatEvents.queue(.sokuhoIssued, incidentID: incident.id, at: now, in: db)
            try AuditLog.append(
                .sokuhoIssued, subject: "incident \(incident.number)", incident: incident.number,
                change: ["sequence": .of(sequence), "body_sha256": .string(Fingerprint.sha256(body))],
                by: principal, at: now, in: db)
            return sokuho
        }
    }

    /// Every 即報 of an incident, oldest first, with the number and prefilled 災害の概況 of the next one.
    public func sokuhoList(_ reference: String) async throws(NoroshiError) -> SokuhoList {
        try await read { db in
            let incident = try Rows.resolveIncident(db, reference: reference)
            let bodies = try String.fetchAll(
                db, sql: "SELECT body FROM sokuho WHERE incident_id = ? ORDER BY sequence", arguments: [incident.id])
            return SokuhoList(
                incident: incident.number, sokuho: try bodies.map(Self.decodeSokuho),
                nextSequence: bodies.count + 1, draftSituation: try Self.draftSituation(db, incidentID: incident.id))
        }
    }

    /// One 即報: 第`sequence`報 of the incident.
    public func sokuho(_ reference: String, sequence: Int) async throws(NoroshiError) -> Sokuho {
        try await read { db in
            let incident = try Rows.resolveIncident(db, reference: reference)
            guard
                let body = try String.fetchOne(
                    db, sql: "SELECT body FROM sokuho WHERE incident_id = ? AND sequence = ?",
                    arguments: [incident.id, sequence])
            else {
                throw NoroshiError(.notFound, "Incident \(incident.number) has no 第\(sequence)報.")
            }
            return try Self.decodeSokuho(body)
        }
    }

    /// Queues a reminder for every open incident whose 覚知 is at least `minutes` ago and that has no 第1報 yet
    /// (each incident once); the router sends them to `sokuho.reminder_rooms`. Returns how many it queued.
    @discardableResult
    public func queueSokuhoReminders(after minutes: Double) async throws(NoroshiError) -> Int {
        let now = clock.now()
        let cutoff = now.addingTimeInterval(-minutes * 60).millisecondsSince1970
        return try await write { db in
            let due = try Int64.fetchAll(
                db,
                sql: """
                    SELECT id FROM incident INDEXED BY incident_sokuho_due
                    WHERE sokuho_count = 0 AND sokuho_reminded_at IS NULL AND opened_at <= ?
                        AND is_open = 1 AND merged_into_id IS NULL
                    """,
                arguments: [cutoff])
            for id in due {
                try db.execute(
                    sql: "UPDATE incident SET sokuho_reminded_at = ? WHERE id = ?",
                    arguments: [now.millisecondsSince1970, id])
                try ChatEvents.queue(.sokuhoReminder, incidentID: id, at: now, in: db)
            }
            return due.count
        }
    }

    static func draftSituation(_ db: Database, incidentID: Int64) throws -> String {
        let reports = try Row.fetchAll(
            db,
            sql: """
                SELECT \(Rows.reportColumns) FROM report r WHERE r.incident_id = ?
                ORDER BY r.observed_at DESC, r.id DESC LIMIT 5
                """,
            arguments: [incidentID]
        ).map(Rows.report)
        return Sokuho.draftSituation(reports: reports)
    }

    static func decodeSokuho(_ body: String) throws -> Sokuho {
        do {
            return try JSONDecoder.noroshi().decode(Sokuho.self, from: Data(body.utf8))
        } catch {
            throw NoroshiError(.internal, "A stored 即報 cannot be read.", cause: error)
        }
    }
}
