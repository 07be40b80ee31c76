import Foundation
import GRDB
import NoroshiCore

/// What `noroshi check` found in the database: SQLite's own check, and whether reports, photos and incidents as
/// stored are what the audit log recorded.
public struct EvidenceCheck: Sendable, Hashable, Codable {
    /// Reports compared with their audit rows.
    public var reports = 0
    /// Reports stored before the audit log began (nothing to compare them with).
    public var reportsBeforeAudit = 0
    /// Photo links (a photo on a report) compared.
    public var photoLinks = 0
    /// Incidents whose state was compared.
    public var incidents = 0
    /// What differs, one sentence each, first found first.
    public var problems: [String] = []

    enum CodingKeys: String, CodingKey {
        case reports, problems, incidents
        case reportsBeforeAudit = "reports_before_audit"
        case photoLinks = "photo_links"
    }
}

/// One photo file the database knows: its original (unless only a preview came) and which copies it has.
public struct StoredPhoto: Sendable, Hashable {
    public var sha256: String
    public var previewOnly: Bool
    /// The names of the copies made (`chat`, `thumb`), or of the preview's.
    public var copies: [String]
}

extension Store {
    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound file, else what it found.
    public func integrityCheck() async throws(NoroshiError) -> [String] {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// Every photo the database knows, with the files it should have.
    public func storedPhotos() async throws(NoroshiError) -> [StoredPhoto] {
        try await read { db in try Self.storedPhotos(db) }
    }

    static func storedPhotos(_ db: Database) throws -> [StoredPhoto] {
        try Row.fetchAll(db, sql: "SELECT sha256, preview_only, derivatives FROM photo ORDER BY sha256").map { row in
            let previewOnly: Bool = row["preview_only"]
            let ready = (row["derivatives"] as String) == Photo.Derivatives.ready.rawValue
            // A preview's file is its chat copy; its thumbnail comes with its job.
            let copies = previewOnly ? (ready ? ["chat", "thumb"] : ["chat"]) : (ready ? ["chat", "thumb"] : [])
            return StoredPhoto(sha256: row["sha256"], previewOnly: previewOnly, copies: copies)
        }
    }

    /// Compares reports, photo links and incidents as stored with what the audit log recorded of them: a report's
    /// text edited in the database file, a report or photo added or removed behind Noroshi's back, an incident's
    /// status set by hand. Reports are compared in one pass beside the log (both are in the order of intake), so
    /// memory stays small on large stores.
    public func checkEvidence() async throws(NoroshiError) -> EvidenceCheck {
        try await read { db in
            var check = EvidenceCheck()
            let auditStart = try Int64.fetchOne(db, sql: "SELECT min(at) FROM audit")
            var fills: [Int64: [String: Any]] = [:]
            var photoRows: [String: Int64] = [:]
            var states: [String: (seq: Int64, state: [String: Any])] = [:]
            let changes = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, action, change FROM audit
                    WHERE action IN ('report.filled', 'photo.stored', 'photo.preview_stored') OR instr(change, '"incidents":') > 0
                    ORDER BY seq
                    """)
            while let row = try changes.next() {
                let seq: Int64 = row["seq"]
                guard let change = Self.object(row["change"]) else {
                    check.problems.append("Audit row \(seq)'s change is not JSON.")
                    continue
                }
                switch row["action"] as String {
                case AuditAction.reportFilled.rawValue:
                    if let id = Self.integer(change["report"]) { fills[id, default: [:]].merge(change) { $1 } }
                case AuditAction.photoStored.rawValue, AuditAction.previewStored.rawValue:
                    if let id = Self.integer(change["report"]), let sha = change["sha256"] as? String {
                        photoRows["\(id)/\(sha)"] = seq
                    }
                default: break
                }
                for case (let number, let state as [String: Any]) in change["incidents"] as? [String: Any] ?? [:] {
                    states[number] = (seq, state)
                }
            }

            // Reports and their report.accepted rows, side by side in the order of intake.
            let accepted = try Row.fetchCursor(
                db, sql: "SELECT seq, subject, change FROM audit WHERE action = 'report.accepted' ORDER BY seq")
            let reports = try Row.fetchCursor(
                db, sql: "SELECT \(Rows.reportColumns) FROM report r ORDER BY r.id")
            var recorded = try accepted.next()
            var stored = try reports.next()
            func recordedID(_ row: Row?) -> Int64? {
                (row?["subject"] as String?).flatMap { Int64($0.dropFirst("report ".count)) }
            }
            while recorded != nil || stored != nil {
                let storedReport = try stored.map(Rows.report)
                let recordedReport = recordedID(recorded)
                if let report = storedReport, recordedReport.map({ report.id < $0 }) ?? true {
                    // In the database, not in the log.
                    if auditStart.map({ report.receivedAt.millisecondsSince1970 < $0 }) ?? true {
                        check.reportsBeforeAudit += 1
                    } else {
                        check.problems.append(
                            "Report \(report.id) has no audit row: it was written into the database outside Noroshi.")
                    }
                    stored = try reports.next()
                } else if let id = recordedReport, storedReport.map({ id < $0.id }) ?? true {
                    let seq: Int64 = recorded!["seq"]
                    check.problems.append(
                        "Report \(id), recorded in audit row \(seq), is missing from the database: deleted.")
                    recorded = try accepted.next()
                } else if let report = storedReport, let row = recorded {
                    check.reports += 1
                    let seq: Int64 = row["seq"]
                    var expected = (Self.object(row["change"])?["report"] as? [String: Any]) ?? [:]
                    for key in ["latitude", "longitude", "observed_at"] {
                        if let value = fills[report.id]?[key] { expected[key] = value }
                    }
                    let actual = Self.object(AuditLog.reportEvidence(report).json) ?? [:]
                    for key in Set(expected.keys).union(actual.keys).sorted()
                    where !Self.same(expected[key], actual[key]) {
                        check.problems.append(
                            "Report \(report.id): \(key) is \(Self.describe(actual[key])) in the database but "
                                + "\(Self.describe(expected[key])) in the audit log (row \(seq)).")
                    }
                    stored = try reports.next()
                    recorded = try accepted.next()
                } else {
                    // A report.accepted row whose subject is not a report number: the chain check names it.
                    recorded = try accepted.next()
                }
            }

            // Photo links.
            let links = try Row.fetchCursor(
                db,
                sql: """
                    SELECT rp.report_id, rp.sha256, r.received_at FROM report_photo rp JOIN report r ON r.id = rp.report_id
                    ORDER BY rp.report_id, rp.sha256
                    """)
            while let link = try links.next() {
                let id: Int64 = link["report_id"]
                let sha: String = link["sha256"]
                if photoRows.removeValue(forKey: "\(id)/\(sha)") != nil {
                    check.photoLinks += 1
                } else if let start = auditStart, (link["received_at"] as Int64) >= start {
                    check.problems.append(
                        "Photo \(sha.prefix(12)) on report \(id) has no audit row: it was attached outside Noroshi.")
                }
            }
            for (key, seq) in photoRows.sorted(by: { $0.value < $1.value }) {
                let parts = key.split(separator: "/")
                check.problems.append(
                    "Photo \(parts[1].prefix(12)) on report \(parts[0]), recorded in audit row \(seq), is no longer "
                        + "on that report: removed.")
            }

            // Incidents: the state last recorded for each.
            let incidents = try Row.fetchCursor(
                db,
                sql: """
                    SELECT i.number, i.status, i.severity, i.title, i.title_is_default, i.opened_at,
                        (SELECT m.number FROM incident m WHERE m.id = i.merged_into_id) AS merged_into
                    FROM incident i ORDER BY i.id
                    """)
            while let incident = try incidents.next() {
                let number: String = incident["number"]
                guard let (seq, state) = states[number] else {
                    if let start = auditStart, (incident["opened_at"] as Int64) >= start {
                        check.problems.append(
                            "Incident \(number) has no audit row: it was written into the database outside Noroshi.")
                    }
                    continue
                }
                check.incidents += 1
                var fields: [(String, Any?)] = [
                    ("status", incident["status"] as String), ("severity", incident["severity"] as Int?),
                    ("merged_into", incident["merged_into"] as String?),
                ]
                // A default title follows the place data; only a title someone gave is evidence.
                if !(incident["title_is_default"] as Bool) { fields.append(("title", incident["title"] as String)) }
                for (key, value) in fields where !Self.same(state[key], value) {
                    check.problems.append(
                        "Incident \(number): \(key) is \(Self.describe(value)) in the database but "
                            + "\(Self.describe(state[key])) in the audit log (row \(seq)).")
                }
            }
            return check
        }
    }

    private static func object(_ json: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
    }

    private static func integer(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    /// JSON values compared as JSON: a missing value and null are the same; numbers by value.
    private static func same(_ left: Any?, _ right: Any?) -> Bool {
        let left = left is NSNull ? nil : left
        let right = right is NSNull ? nil : right
        switch (left, right) {
        case (nil, nil): return true
        case (let left as NSObject, let right as NSObject): return left.isEqual(right)
        case (let left as String, let right as String): return left == right
        case (let left as Int, let right as Int): return left == right
        default: return false
        }
    }

    /// A value for a sentence: strings quoted and cut to 60 characters, objects as JSON, null as "empty".
    private static func describe(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return "empty"
        case let text as String:
            let visible = Terminal.visible(text)
            return "“" + (visible.count > 60 ? visible.prefix(59) + "…" : visible) + "”"
        case let object as [String: Any]:
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(object)"
        case let value?: return "\(value)"
        }
    }
}

/// What a database backup holds, read from the copy itself.
public struct DatabaseSnapshot: Sendable, Hashable {
    public var reports: Int
    public var photos: [StoredPhoto]
    /// The audit log's newest row in the copy (0 and nil when it has none).
    public var auditSeq: Int64
    public var auditHash: String?
}

extension Store {
    /// Copies the database to `path` (a new file) with SQLite's online backup, in one step from one read
    /// transaction: a consistent snapshot while the daemon keeps writing. The copy is 0600, fsynced, and says
    /// which photos it knows, so that the files copied next are exactly the ones it refers to.
    public func backupDatabase(to path: String) throws(NoroshiError) -> DatabaseSnapshot {
        let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard created >= 0 else {
            throw NoroshiError(.conflict, "Cannot create '\(path)' (errno \(errno)); a backup never overwrites a file.")
        }
        close(created)
        do {
            return try Self.backup(pool, to: path)
        } catch {
            Glibc.unlink(path)
            throw Self.wrap(error, logger: logger)
        }
    }

    private static func backup(_ pool: DatabasePool, to path: String) throws -> DatabaseSnapshot {
        let copy = try DatabaseQueue(path: path)
        try pool.backup(to: copy)
        let snapshot = try copy.inDatabase { db in
            // The copy is a database of its own: fold any log into it, so that one file is the whole backup.
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            return DatabaseSnapshot(
                reports: try Int.fetchOne(db, sql: "SELECT count(*) FROM report") ?? 0,
                photos: try storedPhotos(db),
                auditSeq: try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit") ?? 0,
                auditHash: try String.fetchOne(db, sql: "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1"))
        }
        try copy.close()
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        return snapshot
    }
}
