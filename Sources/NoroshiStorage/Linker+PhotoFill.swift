import Foundation
import GRDB
import NoroshiCore
import NoroshiPlaces

/// Filling a report's missing position and time from the EXIF of a photo attached to it.
///
/// A report may arrive with a place but no position, or without a time (the server then uses the time
/// of receipt). The first photo that carries a GPS position or a taking time fills what is missing, and
/// the report is linked as if it had come with those values: when it is an automatic report that opened
/// its own incident and nobody has touched that incident since, the linker decides again and, when an
/// open incident qualifies, the report's incident is merged into it (its number keeps resolving). A report
/// that joined an incident, was sent to one by number or was moved by hand stays where it is.
extension Linker {
    /// Fills what `reportID` left out from `photo`, records it in the timeline, and links the report
    /// again when that is still its own decision. Returns the timeline message and the incident the
    /// report belongs to afterwards, or nil when the report lacked nothing the photo has.
    func fill(
        reportID: Int64,
        from photo: Photo,
        limits: ReportLimits,
        by principal: Principal,
        at now: Date,
        in db: Database
    ) throws -> (message: String, incidentNumber: String)? {
        let report = try Rows.fetchReport(db, id: reportID)
        let photoName = "photo \(photo.sha256.prefix(12))"
        var filled: [String] = []
        var refused: [String] = []

        var position: GeoPoint?
        if report.positionSource == nil {
            switch PhotoEvidence.position(latitude: photo.latitude, longitude: photo.longitude) {
            case .success(let point):
                position = point
                filled.append("position \(PhotoEvidence.describe(point))")
            case .failure(let refusal): refused.append(refusal.message)
            case nil: break
            }
        }
        var observedAt: Date?
        if report.observedAtSource == .receipt {
            let time = PhotoEvidence.observedTime(
                photo.takenAt, text: photo.takenAtText, reference: report.receivedAt,
                maxFutureSkew: limits.maxFutureSkew)
            switch time {
            case .success(let taken):
                observedAt = taken
                filled.append("observed time \(RFC3339.string(from: taken))")
            case .failure(let refusal): refused.append(refusal.message)
            case nil: break
            }
        }
        guard !filled.isEmpty || !refused.isEmpty else { return nil }
        let actor = principal.name

        if let position {
            try db.executeCached(
                sql: """
                    UPDATE report SET latitude = ?, longitude = ?, position_source = 'photo', area_code = ?
                    WHERE id = ?
                    """,
                arguments: [position.latitude, position.longitude, Places.shared.area(at: position)?.code, reportID])
        }
        if let observedAt {
            try db.executeCached(
                sql: "UPDATE report SET observed_at = ?, observed_at_source = 'photo' WHERE id = ?",
                arguments: [observedAt.millisecondsSince1970, reportID])
        }
        var message =
            filled.isEmpty
            ? "Report \(reportID) left out its position or time, but \(photoName) could not fill it"
            : "Report \(reportID): \(filled.joined(separator: " and ")) filled from the EXIF of \(photoName)"
        message += refused.isEmpty ? "." : "; " + refused.joined(separator: "; ") + "."
        try IncidentWriter.record(
            incidentID: report.incidentID, action: .reportFilled, message: message, actor: actor, reportID: reportID,
            at: now, in: db)
        guard !filled.isEmpty else { return (message, report.incidentNumber) }
        var values: [String: AuditValue] = ["report": .int(reportID), "photo": .string(photo.sha256)]
        if let position {
            values["latitude"] = .double(position.latitude)
            values["longitude"] = .double(position.longitude)
        }
        if let observedAt { values["observed_at"] = .of(Rows.date(observedAt.millisecondsSince1970)) }
        func audit(merged: (from: Int64, into: Int64)? = nil) throws {
            if let merged {
                values["incidents"] = try AuditLog.incidentStates(ids: [merged.from, merged.into], in: db)
            }
            try AuditLog.append(
                .reportFilled, subject: "report \(reportID)", incident: report.incidentNumber, change: values,
                by: principal, at: now, in: db)
        }

        if let target = try relinkTarget(
            for: report, position: position ?? report.position, observedAt: observedAt ?? report.observedAt, in: db)
        {
            let into = try Rows.fetchIncident(db, id: target.id)
            try IncidentWriter.merge(report.incidentID, into: into.id, at: now, in: db)
            let distance = "\(Int(target.distance.rounded())) m"
            try IncidentWriter.record(
                incidentID: report.incidentID, action: .mergedInto,
                message: "Merged into incident \(into.number): with the values from \(photoName), its only report "
                    + "\(reportID) lies \(distance) from that incident's centre.",
                actor: actor, reportID: reportID, at: now, in: db)
            try IncidentWriter.record(
                incidentID: into.id, action: .merged,
                message:
                    "Incident \(report.incidentNumber) merged into this one: its report \(reportID), with the values "
                    + "from \(photoName), lies \(distance) from the centre.",
                actor: actor, reportID: reportID, at: now, in: db)
            try ChatEvents.queue(.merged, incidentID: into.id, at: now, in: db)
            try audit(merged: (report.incidentID, into.id))
            return (message + " The report now belongs to incident \(into.number).", into.number)
        }
        try IncidentWriter.recompute(incidentID: report.incidentID, at: now, in: db)
        try audit()
        return (message, report.incidentNumber)
    }

    /// The incident a filled report joins instead of its own, or nil when it stays.
    ///
    /// Only an automatic report alone in the incident it opened, still `reported`, without a severity,
    /// is linked again: anything else means a person or another report already relies on where it is.
    private func relinkTarget(
        for report: Report,
        position: GeoPoint?,
        observedAt: Date,
        in db: Database
    ) throws -> (id: Int64, distance: Double)? {
        guard report.linkMode == .automatic, let position else { return nil }
        let own = try Rows.fetchIncident(db, id: report.incidentID)
        guard own.reportCount == 1, own.status == .reported, own.severity == nil, own.mergedInto == nil else {
            return nil
        }
        let candidates = try candidates(near: position, kind: report.kind, exercise: report.exercise, in: db)
            .filter { $0.id != own.id }
        let decision = policy.decide(
            kind: report.kind, position: position, observedAt: observedAt, exercise: report.exercise,
            candidates: candidates)
        guard case .join(let id, let distance) = decision else { return nil }
        return (id, distance)
    }
}
