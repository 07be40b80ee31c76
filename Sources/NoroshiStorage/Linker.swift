import Foundation
import GRDB
import NoroshiCore
import NoroshiPlaces

/// The write side of the intake: finds or opens the incident for a report and stores both, in one transaction.
struct Linker: Sendable {
    let policy: LinkingPolicy

    /// Stores one report and links it; runs inside the intake's transaction (and its own savepoint).
    func ingest(_ item: IntakeItem, in db: Database) throws -> ReportReceipt {
        let report = item.report
        if let existing = try db.cachedRow(
            sql: "SELECT id, fingerprint FROM report WHERE client_key = ?", arguments: [report.clientKey])
        {
            let fingerprint: String = existing["fingerprint"]
            guard fingerprint == item.fingerprint else {
                throw NoroshiError(
                    .conflict,
                    "Client key '\(report.clientKey)' was already used for a different report; "
                        + "use a new key for a new report."
                )
            }
            let stored = try Rows.fetchReport(db, id: existing["id"])
            let incident = try Rows.fetchIncident(db, id: stored.incidentID)
            return ReportReceipt(report: stored, incident: incident, created: false, openedIncident: false)
        }

        let (target, mode) = try destination(for: report, in: db)
        let now = item.receivedAt
        let area = report.position.flatMap(Places.shared.area(at:))
        let incidentID: Int64
        let opened: Bool
        if let target {
            incidentID = target.id
            opened = false
        } else {
            incidentID = try IncidentWriter.open(
                kind: report.kind,
                exercise: report.exercise,
                place: report.place,
                area: area,
                located: report.position != nil,
                at: now,
                observedAt: report.observedAt,
                in: db
            )
            opened = true
        }

        let positionSource: Report.Source? = report.position == nil ? nil : .sender
        let observedAtSource = report.observedAtSource
        try db.executeCached(
            sql: """
                INSERT INTO report (client_key, fingerprint, incident_id, kind, latitude, longitude, accuracy, place,
                    text, unit, reporter, dead, missing, injured, exercise, observed_at, received_at, link_mode,
                    submitted_by, position_source, observed_at_source, token_id, area_code, severely_injured,
                    slightly_injured, \(HomeDamage.columnList))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                report.clientKey, item.fingerprint, incidentID, report.kind.rawValue,
                report.position?.latitude, report.position?.longitude, report.accuracy, report.place,
                report.text, report.unit, report.reporter, report.casualties.dead, report.casualties.missing,
                report.casualties.injured, report.exercise, report.observedAt.millisecondsSince1970,
                now.millisecondsSince1970, mode.rawValue, item.actor, positionSource?.rawValue,
                observedAtSource.rawValue, item.tokenID, area?.code, report.casualties.severelyInjured,
                report.casualties.slightlyInjured,
            ] + Rows.arguments(report.homes.values)
        )
        let reportID = db.lastInsertedRowID
        let (incident, countsRose) = try IncidentWriter.absorb(
            report: report, area: area, into: incidentID, at: now, in: db)

        let message: String
        if opened {
            message = "Opened by report \(reportID) from \(report.unit ?? item.actor)."
        } else {
            let how = mode == .explicit ? "sent to this incident by number" : "linked automatically"
            let distance = target?.distance.map { ", \(Int($0.rounded())) m from the centre" } ?? ""
            message = "Report \(reportID) from \(report.unit ?? item.actor) \(how)\(distance)."
        }
        try IncidentWriter.record(
            incidentID: incidentID,
            action: opened ? .opened : .reportAdded,
            message: message,
            actor: item.actor,
            reportID: reportID,
            at: now,
            in: db
        )
        // A new incident, or a rise in casualties or damage, is told at once; other reports are a paced 続報.
        try ChatEvents.queue(
            opened ? .opened : countsRose ? .countsChanged : .reportAdded, incidentID: incidentID, at: now, in: db)
        // The receipt is built from the values just written; a test checks it against a fresh read.
        var stored = Report(
            id: reportID,
            clientKey: report.clientKey,
            kind: report.kind,
            latitude: report.position?.latitude,
            longitude: report.position?.longitude,
            accuracy: report.accuracy,
            place: report.place,
            text: report.text,
            unit: report.unit,
            reporter: report.reporter,
            casualties: report.casualties,
            exercise: report.exercise,
            observedAt: Rows.date(report.observedAt.millisecondsSince1970),
            receivedAt: Rows.date(now.millisecondsSince1970),
            incidentID: incidentID,
            incidentNumber: incident.number,
            linkMode: mode,
            submittedBy: item.actor,
            positionSource: positionSource,
            observedAtSource: observedAtSource
        )
        stored.area = area
        stored.homes = report.homes
        try AuditLog.append(
            .reportAccepted, subject: "report \(reportID)", incident: incident.number,
            change: [
                "report": AuditLog.reportEvidence(stored), "opened": .bool(opened), "link_mode": .string(mode.rawValue),
                "incidents": opened ? AuditLog.incidentStates([incident]) : [:],
            ], by: Principal(tokenID: item.tokenID, name: item.actor), at: now, in: db)
        return ReportReceipt(report: stored, incident: incident, created: true, openedIncident: opened)
    }

    /// Where a report would go: an existing incident (and its distance), or nil for a new one.
    func destination(for report: ValidReport, in db: Database) throws
        -> (target: (id: Int64, distance: Double?)?, mode: Report.LinkMode)
    {
        if let number = report.incident {
            let incident = try Rows.resolveIncident(db, reference: number.description)
            try Self.checkCompatible(report: report, incident: incident)
            let distance = report.position.flatMap { p in incident.centre.map { p.distance(to: $0) } }
            return ((incident.id, distance), .explicit)
        }
        guard let position = report.position else { return (nil, .automatic) }
        let candidates = try candidates(near: position, kind: report.kind, exercise: report.exercise, in: db)
        let decision = policy.decide(
            kind: report.kind,
            position: position,
            observedAt: report.observedAt,
            exercise: report.exercise,
            candidates: candidates
        )
        guard case .join(let id, let distance) = decision else { return (nil, .automatic) }
        return ((id, distance), .automatic)
    }

    /// The candidate search; answered from the `incident_linking` index alone (a test checks the plan).
    static let candidatesSQL = """
        SELECT id, status, center_lat, center_lon, last_activity_at FROM incident INDEXED BY incident_linking
        WHERE is_open = 1 AND kind = ? AND exercise = ? AND center_lat BETWEEN ? AND ?
            AND center_lon BETWEEN ? AND ?
        """

    /// Open incidents of one kind and flag whose centre lies in the box around `position` that the kind's radius spans.
    func candidates(
        near position: GeoPoint,
        kind: IncidentKind,
        exercise: Bool,
        in db: Database
    ) throws -> [LinkCandidate] {
        let box = position.boundingBox(metres: policy.rule(for: kind).radiusMetres)
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: Self.candidatesSQL),
            arguments: [
                kind.rawValue, exercise, box.minLatitude, box.maxLatitude, box.minLongitude, box.maxLongitude,
            ]
        )
        var result: [LinkCandidate] = []
        while let row = try rows.next() {
            let statusName: String = row["status"]
            guard let status = IncidentStatus(rawValue: statusName) else { continue }
            result.append(
                LinkCandidate(
                    id: row["id"],
                    kind: kind,
                    status: status,
                    exercise: exercise,
                    centre: try? GeoPoint(latitude: row["center_lat"], longitude: row["center_lon"]),
                    lastActivityAt: Rows.date(row["last_activity_at"])
                )
            )
        }
        return result
    }

    /// Refuses to put a report into an incident of another kind, or to mix exercise and real data.
    static func checkCompatible(report: ValidReport, incident: Incident) throws {
        try checkCompatible(
            reportKind: report.kind, reportExercise: report.exercise, reportName: "This report", incident: incident)
    }

    static func checkCompatible(
        reportKind: IncidentKind,
        reportExercise: Bool,
        reportName: String,
        incident: Incident
    ) throws {
        guard reportKind == incident.kind else {
            throw NoroshiError(
                .invalidInput,
                "\(reportName) is a \(reportKind.rawValue) report but incident \(incident.number) is a "
                    + "\(incident.kind.rawValue) incident."
            )
        }
        guard reportExercise == incident.exercise else {
            throw NoroshiError(
                .invalidInput,
                reportExercise
                    ? "\(reportName) is an exercise report but incident \(incident.number) is real; drills never mix with real incidents."
                    : "\(reportName) is a real report but incident \(incident.number) is an exercise."
            )
        }
    }
}
