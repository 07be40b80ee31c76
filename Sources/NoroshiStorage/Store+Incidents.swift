import Foundation
import GRDB
import NoroshiCore

/// Which incidents a listing returns.
public struct IncidentFilter: Sendable, Hashable {
    /// Open, closed (including cancelled and merged), or both.
    public enum State: String, Sendable, CaseIterable {
        case open, closed, all
    }

    public var state: State
    public var statuses: Set<IncidentStatus>
    public var kinds: Set<IncidentKind>
    /// nil for both; true for exercise incidents only; false for real ones only.
    public var exercise: Bool?
    /// Only incidents whose centre lies within `radiusMetres` of this point.
    public var near: GeoPoint?
    public var radiusMetres: Double
    /// Only incidents in this prefecture (1 北海道 … 47 沖縄県), by their area.
    public var prefecture: Int?
    /// Only incidents updated at or after this time.
    public var since: Date?
    public var limit: Int

    public init(
        state: State = .open,
        statuses: Set<IncidentStatus> = [],
        kinds: Set<IncidentKind> = [],
        exercise: Bool? = nil,
        near: GeoPoint? = nil,
        radiusMetres: Double = 10_000,
        prefecture: Int? = nil,
        since: Date? = nil,
        limit: Int = 500
    ) {
        self.state = state
        self.statuses = statuses
        self.kinds = kinds
        self.exercise = exercise
        self.near = near
        self.radiusMetres = radiusMetres
        self.prefecture = prefecture
        self.since = since
        self.limit = limit
    }
}

/// A change HQ makes to an incident; nil fields (and nil counts) stay as they are.
public struct IncidentChange: Sendable, Hashable, Codable {
    public var status: IncidentStatus?
    public var title: String?
    public var severity: Int?
    /// Counts HQ sets by hand; each given one replaces the incident's, until a report observed later.
    public var casualties: Casualties?
    public var homes: HomeDamage?
    /// 災害対策本部 設置状況; `since` defaults to now.
    public var headquarters: HeadquartersStatus.Level?
    public var headquartersSince: Date?

    public init(
        status: IncidentStatus? = nil, title: String? = nil, severity: Int? = nil, casualties: Casualties? = nil,
        homes: HomeDamage? = nil, headquarters: HeadquartersStatus.Level? = nil, headquartersSince: Date? = nil
    ) {
        self.status = status
        self.title = title
        self.severity = severity
        self.casualties = casualties
        self.homes = homes
        self.headquarters = headquarters
        self.headquartersSince = headquartersSince
    }

    var isEmpty: Bool {
        status == nil && title == nil && severity == nil && (casualties?.isEmpty ?? true)
            && (homes?.isEmpty ?? true) && headquarters == nil
    }

    /// What was asked for, as the audit log records it: only the fields given.
    var auditValue: AuditValue {
        var set: [String: AuditValue] = [:]
        if let status { set["status"] = .string(status.rawValue) }
        if let title { set["title"] = .string(title) }
        if let severity { set["severity"] = .of(severity) }
        if let casualties, !casualties.isEmpty { set["casualties"] = .of(casualties) }
        if let homes, !homes.isEmpty { set["homes"] = .of(homes) }
        if let headquarters { set["headquarters"] = .string(headquarters.rawValue) }
        if let headquartersSince { set["headquarters_since"] = .of(headquartersSince) }
        return .object(set)
    }
}

extension Store {
    /// Incidents matching `filter`, most recently active first.
    public func incidents(_ filter: IncidentFilter) async throws(NoroshiError) -> [Incident] {
        try await incidentsAndTotal(filter).incidents
    }

    /// Incidents matching `filter` (at most `filter.limit`, most recently active first) and how many match in
    /// all (for `near`, counted by the bounding box).
    public func incidentsAndTotal(_ filter: IncidentFilter) async throws(NoroshiError) -> (
        incidents: [Incident], total: Int
    ) {
        try await read { db in
            var (clauses, arguments) = Self.clauses(for: filter)
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let total =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM incident i \(whereClause)", arguments: arguments) ?? 0
            _ = arguments.append(contentsOf: [max(1, filter.limit)])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Rows.incidentColumns) FROM incident i \(whereClause)
                    ORDER BY i.last_activity_at DESC, i.id DESC LIMIT ?
                    """,
                arguments: arguments
            )
            return (try rows.map(Rows.incident).filter { Self.withinRadius($0, of: filter) }, total)
        }
    }

    /// The SQL conditions of a filter on `incident i` (the radius of `near` is checked on the rows after).
    static func clauses(for filter: IncidentFilter) -> ([String], StatementArguments) {
        var clauses: [String] = []
        var arguments = StatementArguments()
        switch filter.state {
        case .open: clauses.append("i.is_open = 1")
        case .closed: clauses.append("i.is_open = 0")
        case .all: break
        }
        Rows.whereIn("i.status", filter.statuses, clauses: &clauses, arguments: &arguments)
        Rows.whereIn("i.kind", filter.kinds, clauses: &clauses, arguments: &arguments)
        if let exercise = filter.exercise {
            clauses.append("i.exercise = ?")
            _ = arguments.append(contentsOf: [exercise])
        }
        if let since = filter.since {
            clauses.append("i.updated_at >= ?")
            _ = arguments.append(contentsOf: [since.millisecondsSince1970])
        }
        if let prefecture = filter.prefecture {
            Rows.inPrefecture(prefecture, clauses: &clauses, arguments: &arguments)
        }
        if let near = filter.near {
            let box = near.boundingBox(metres: filter.radiusMetres)
            clauses.append("i.center_lat BETWEEN ? AND ? AND i.center_lon BETWEEN ? AND ?")
            _ = arguments.append(contentsOf: [box.minLatitude, box.maxLatitude, box.minLongitude, box.maxLongitude])
        }
        return (clauses, arguments)
    }

    /// One incident, by number or id, with its reports (oldest first) and its timeline.
    public func incidentDetail(_ reference: String) async throws(NoroshiError) -> IncidentDetail {
        try await read { db in
            let incident = try Rows.resolveIncident(db, reference: reference)
            let reports = try Row.fetchAll(
                db,
                sql: "SELECT \(Rows.reportColumns) FROM report r WHERE r.incident_id = ? ORDER BY r.observed_at, r.id",
                arguments: [incident.id]
            ).map(Rows.report)
            let timeline = try Row.fetchAll(
                db,
                sql: "SELECT \(Rows.timelineColumns) FROM timeline_event WHERE incident_id = ? ORDER BY id",
                arguments: [incident.id]
            ).map(Rows.timelineEvent)
            let mergedFrom = try String.fetchAll(
                db, sql: "SELECT number FROM incident WHERE merged_into_id = ? ORDER BY id", arguments: [incident.id])
            return IncidentDetail(
                incident: incident, reports: reports, timeline: timeline, mergedFrom: mergedFrom,
                photos: try Self.incidentPhotos(db, incidentID: incident.id))
        }
    }

    /// One incident by number or id (a merged one's survivor), without its reports.
    public func incident(_ reference: String) async throws(NoroshiError) -> Incident {
        try await read { db in try Rows.resolveIncident(db, reference: reference) }
    }

    /// One report by id.
    public func report(id: Int64) async throws(NoroshiError) -> Report {
        try await read { db in try Rows.fetchReport(db, id: id) }
    }

    /// Changes an incident's status, title or severity, recording each change in the timeline.
    ///
    /// An invalid status change is refused with a message naming the allowed ones.
    public func change(_ reference: String, _ change: IncidentChange, by principal: Principal)
        async throws(NoroshiError)
        -> Incident
    {
        if change.isEmpty {
            throw NoroshiError(
                .invalidInput, "Nothing to change; give a status, title, severity, counts or headquarters.")
        }
        _ = try change.casualties?.validated()
        _ = try change.homes?.validated()
        let now = clock.now()
        if let since = change.headquartersSince, since.timeIntervalSince(now) > limits.maxFutureSkew {
            throw NoroshiError(.invalidInput, "The headquarters time lies in the future.")
        }
        if let title = change.title { try TextRules.check(title, field: "title") }
        let title = change.title?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let title, title.isEmpty || title.count > limits.maxFieldLength {
            throw NoroshiError(.invalidInput, "A title must be 1 to \(limits.maxFieldLength) characters long.")
        }
        if let severity = change.severity, !Incident.severities.contains(severity) {
            throw NoroshiError(
                .invalidInput, "Severity \(severity) is out of range; use 1 (minor) to 5 (catastrophic).")
        }
        let actor = principal.name
        return try await write { db in
            let incident = try Rows.resolveIncident(db, reference: reference)
            let ms = now.millisecondsSince1970
            try Self.setCounts(change, of: incident, by: actor, at: now, in: db)
            if let status = change.status, status != incident.status {
                guard incident.status.canChange(to: status) else {
                    let allowed = incident.status.allowedNextStatuses.map(\.rawValue)
                    let hint = allowed.isEmpty ? "it is final" : "allowed: " + allowed.joined(separator: ", ")
                    throw NoroshiError(
                        .invalidInput,
                        "Incident \(incident.number) cannot change from \(incident.status.rawValue) to "
                            + "\(status.rawValue); \(hint)."
                    )
                }
                try db.executeCached(
                    sql: """
                        UPDATE incident SET status = ?, is_open = ?, closed_at = ?, status_changed_at = ?,
                            last_activity_at = max(last_activity_at, ?), updated_at = ?
                        WHERE id = ?
                        """,
                    arguments: [
                        status.rawValue, status.isOpen, status.isOpen ? nil : ms, ms, ms, ms, incident.id,
                    ]
                )
                let verb = incident.status.isOpen ? "Status changed" : "Reopened"
                try IncidentWriter.record(
                    incidentID: incident.id,
                    action: .statusChanged,
                    message: "\(verb) from \(incident.status.rawValue) to \(status.rawValue).",
                    actor: actor,
                    at: now,
                    in: db
                )
                try ChatEvents.queue(.statusChanged, incidentID: incident.id, at: now, in: db)
            }
            if let title, title != incident.title {
                try db.executeCached(
                    sql: "UPDATE incident SET title = ?, title_is_default = 0, updated_at = ? WHERE id = ?",
                    arguments: [title, ms, incident.id]
                )
                try IncidentWriter.record(
                    incidentID: incident.id, action: .titleChanged, message: "Title changed to “\(title)”.",
                    actor: actor, at: now, in: db)
            }
            if let severity = change.severity, severity != incident.severity {
                try db.executeCached(
                    sql: "UPDATE incident SET severity = ?, updated_at = ? WHERE id = ?",
                    arguments: [severity, ms, incident.id]
                )
                let before = incident.severity.map(String.init) ?? "unassessed"
                try IncidentWriter.record(
                    incidentID: incident.id, action: .severityChanged,
                    message: "Severity changed from \(before) to \(severity).", actor: actor, at: now, in: db)
                try ChatEvents.queue(.severityChanged, incidentID: incident.id, at: now, in: db)
            }
            let changed = try Rows.fetchIncident(db, id: incident.id)
            try AuditLog.append(
                .incidentChanged, subject: "incident \(changed.number)", incident: changed.number,
                change: ["set": change.auditValue, "incidents": AuditLog.incidentStates([changed])], by: principal,
                at: now, in: db)
            return changed
        }
    }

    /// Moves a report into another incident by hand; the linker never moves it again.
    public func link(reportID: Int64, to reference: String, by principal: Principal) async throws(NoroshiError)
        -> Report
    {
        let now = clock.now()
        return try await write { db in
            let report = try Rows.fetchReport(db, id: reportID)
            let target = try Rows.resolveIncident(db, reference: reference)
            guard target.id != report.incidentID else {
                throw NoroshiError(.conflict, "Report \(reportID) already belongs to incident \(target.number).")
            }
            try Linker.checkCompatible(
                reportKind: report.kind, reportExercise: report.exercise, reportName: "Report \(reportID)",
                incident: target)
            try Self.move(
                report: report, to: target.id, targetNumber: target.number, actor: principal.name, at: now, in: db)
            try AuditLog.append(
                .reportLinked, subject: "report \(reportID)", incident: target.number,
                change: [
                    "report": .int(reportID), "from": .string(report.incidentNumber), "to": .string(target.number),
                    "incidents": try AuditLog.incidentStates(ids: [report.incidentID, target.id], in: db),
                ], by: principal, at: now, in: db)
            return try Rows.fetchReport(db, id: reportID)
        }
    }

    /// Takes a report out of its incident into a new incident of its own; the linker never moves it again.
    public func unlink(reportID: Int64, by principal: Principal) async throws(NoroshiError) -> Report {
        let now = clock.now()
        let actor = principal.name
        return try await write { db in
            let report = try Rows.fetchReport(db, id: reportID)
            let count =
                try db.cachedValue(
                    Int.self, sql: "SELECT count(*) FROM report WHERE incident_id = ?", arguments: [report.incidentID])
                ?? 0
            guard count > 1 else {
                throw NoroshiError(
                    .conflict,
                    "Report \(reportID) is the only report of incident \(report.incidentNumber); there is nothing "
                        + "to unlink it from."
                )
            }
            let newID = try IncidentWriter.open(
                kind: report.kind, exercise: report.exercise, place: report.place, area: report.area,
                located: report.position != nil, at: now, observedAt: report.observedAt, in: db)
            let number = try Rows.fetchIncident(db, id: newID).number
            try IncidentWriter.record(
                incidentID: newID, action: .opened,
                message: "Opened by unlinking report \(reportID) from incident \(report.incidentNumber).",
                actor: actor, reportID: reportID, at: now, in: db)
            try ChatEvents.queue(.opened, incidentID: newID, at: now, in: db)
            try Self.move(report: report, to: newID, targetNumber: number, actor: actor, at: now, in: db)
            try AuditLog.append(
                .reportUnlinked, subject: "report \(reportID)", incident: number,
                change: [
                    "report": .int(reportID), "from": .string(report.incidentNumber), "to": .string(number),
                    "incidents": try AuditLog.incidentStates(ids: [report.incidentID, newID], in: db),
                ], by: principal, at: now, in: db)
            return try Rows.fetchReport(db, id: reportID)
        }
    }

    /// Merges incident `source` into `target`: its reports move, and its number resolves to `target` from now on.
    public func merge(_ source: String, into target: String, by principal: Principal) async throws(NoroshiError)
        -> Incident
    {
        let now = clock.now()
        return try await write { db in
            let from = try Rows.resolveIncident(db, reference: source)
            let into = try Rows.resolveIncident(db, reference: target)
            guard from.id != into.id else {
                throw NoroshiError(
                    .conflict, "Incident \(from.number) and \(into.number) are already the same incident.")
            }
            guard from.kind == into.kind else {
                throw NoroshiError(
                    .invalidInput,
                    "Incident \(from.number) is a \(from.kind.rawValue) incident and \(into.number) a "
                        + "\(into.kind.rawValue) incident; only incidents of one kind can be merged."
                )
            }
            guard from.exercise == into.exercise else {
                throw NoroshiError(.invalidInput, "An exercise incident cannot be merged with a real one.")
            }
            let actor = principal.name
            try IncidentWriter.merge(from.id, into: into.id, at: now, in: db)
            try IncidentWriter.record(
                incidentID: from.id, action: .mergedInto,
                message: "Merged into incident \(into.number); its \(from.reportCount) reports moved there.",
                actor: actor, at: now, in: db)
            try IncidentWriter.record(
                incidentID: into.id, action: .merged,
                message: "Incident \(from.number) merged into this one with \(from.reportCount) reports.",
                actor: actor, at: now, in: db)
            try ChatEvents.queue(.merged, incidentID: into.id, at: now, in: db)
            let merged = try Rows.fetchIncident(db, id: into.id)
            try AuditLog.append(
                .incidentMerged, subject: "incident \(from.number)", incident: into.number,
                change: [
                    "from": .string(from.number), "into": .string(into.number),
                    "incidents": try AuditLog.incidentStates(ids: [from.id, into.id], in: db),
                ], by: principal, at: now, in: db)
            return merged
        }
    }

    private static func move(
        report: Report,
        to incidentID: Int64,
        targetNumber: String,
        actor: String,
        at now: Date,
        in db: Database
    ) throws {
        try db.executeCached(
            sql: "UPDATE report SET incident_id = ?, link_mode = ? WHERE id = ?",
            arguments: [incidentID, Report.LinkMode.manual.rawValue, report.id]
        )
        try IncidentWriter.recompute(incidentID: report.incidentID, at: now, in: db)
        try IncidentWriter.recompute(incidentID: incidentID, at: now, in: db)
        try IncidentWriter.record(
            incidentID: report.incidentID, action: .reportUnlinked,
            message: "Report \(report.id) moved to incident \(targetNumber) by hand.", actor: actor,
            reportID: report.id, at: now, in: db)
        try IncidentWriter.record(
            incidentID: incidentID, action: .reportLinked,
            message: "Report \(report.id) moved here from incident \(report.incidentNumber) by hand.", actor: actor,
            reportID: report.id, at: now, in: db)
        // An incident whose last report moved away is closed with a note, not left open and empty.
        let remaining =
            try db.cachedValue(
                Int.self, sql: "SELECT count(*) FROM report WHERE incident_id = ?", arguments: [report.incidentID]) ?? 0
        let source = try Rows.fetchIncident(db, id: report.incidentID)
        if remaining == 0, source.status.isOpen {
            let ms = now.millisecondsSince1970
            try db.executeCached(
                sql: """
                    UPDATE incident SET status = 'closed', is_open = 0, closed_at = ?, status_changed_at = ?,
                        updated_at = ? WHERE id = ?
                    """, arguments: [ms, ms, ms, report.incidentID])
            try IncidentWriter.record(
                incidentID: report.incidentID, action: .statusChanged,
                message: "Closed: its last report (\(report.id)) moved to incident \(targetNumber).", actor: actor,
                at: now, in: db)
            try ChatEvents.queue(.statusChanged, incidentID: report.incidentID, at: now, in: db)
        }
    }
}
