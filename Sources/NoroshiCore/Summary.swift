import Foundation

/// What a chat room is told about an incident: its state when the message was prepared, and why it was sent.
///
/// The outbox freezes a summary before the first delivery attempt, so a retry sends the very same message;
/// each connector renders it in its room's language (see `Summary+Rendering.swift`).
public struct Summary: Sendable, Hashable, Codable {
    /// Why a message was sent; several pending reasons for one incident and room become one message.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        case opened
        case statusChanged = "status_changed"
        case severityChanged = "severity_changed"
        case photoAdded = "photo_added"
        case merged
        /// HQ set casualty or home damage counts.
        case countsChanged = "counts_changed"
        /// HQ recorded the 災害対策本部 設置状況.
        case headquartersChanged = "headquarters_changed"
        /// HQ issued a 即報; `sokuho` says which.
        case sokuhoIssued = "sokuho_issued"
        /// No 第1報 yet, `sokuho.reminder_minutes` after 覚知; goes to `sokuho.reminder_rooms` only.
        case sokuhoReminder = "sokuho_reminder"
        /// Reports joined the incident (a 続報); paced to `chat.report_update_seconds` per room.
        case reportAdded = "report_added"
        /// `noroshi rooms test`: not about an incident.
        case test
        /// A signed head of the audit log, posted to `audit.witness_rooms`: not about an incident.
        case auditHead = "audit_head"
    }

    /// The `chat` copy of a photo, sent along where the connector can carry an image.
    public struct Image: Sendable, Hashable, Codable {
        public var sha256: String
        public var width: Int
        public var height: Int

        public init(sha256: String, width: Int, height: Int) {
            self.sha256 = sha256
            self.width = width
            self.height = height
        }
    }

    public var reasons: [Reason]
    public var number: String
    public var kind: IncidentKind
    public var title: String
    public var status: IncidentStatus
    public var severity: Int?
    public var exercise: Bool
    public var place: String?
    public var centre: GeoPoint?
    public var reportCount: Int
    public var photoCount: Int
    /// Photos added since the previous message to this room (only counted when the reason includes photos).
    public var newPhotos: Int
    public var casualties: Casualties
    /// The latest observed time of the incident's reports.
    public var lastReportAt: Date?
    /// Incidents merged into this one, oldest first.
    public var mergedFrom: [String]
    /// The latest photo's chat copy, when it has one.
    public var image: Image?
    /// The incident's 都道府県 and 市区町村; shown when no report gave a place name.
    public var area: Area? = nil
    /// 住家被害; nil in summaries frozen before it existed.
    public var homes: HomeDamage? = nil
    /// 災害対策本部 設置状況, when HQ recorded it.
    public var headquarters: HeadquartersStatus? = nil
    /// N of the latest 第N報 (when the reasons include `sokuhoIssued`).
    public var sokuho: Int? = nil
    /// Minutes from 覚知 to when the message was prepared (for a reminder).
    public var minutesSinceKakuchi: Int? = nil
    /// The incident's newest report (by observed time), its text cut to ``ReportLine/maxText`` characters.
    public var newestReport: ReportLine? = nil
    /// Reports that joined since the previous message to this room (nil when there was none).
    public var newReports: Int? = nil
    /// The counts the previous message to this room carried, to say what changed.
    public var previousCasualties: Casualties? = nil
    public var previousHomes: HomeDamage? = nil
    /// The signed head's one-line form, for ``Reason/auditHead``.
    public var auditHead: String? = nil
    /// The row the head signs, for ``Reason/auditHead``.
    public var auditSeq: Int64? = nil

    /// One report, as a summary quotes it.
    public struct ReportLine: Sendable, Hashable, Codable {
        /// Characters of the report's text a summary carries; a longer text ends in "…".
        public static let maxText = 140

        public var text: String
        public var unit: String?
        public var observedAt: Date

        public init(text: String, unit: String?, observedAt: Date) {
            let flat = text.replacingOccurrences(of: "\n", with: " ")
            self.text = flat.count > Self.maxText ? String(flat.prefix(Self.maxText - 1)) + "…" : flat
            self.unit = unit
            self.observedAt = observedAt
        }

        enum CodingKeys: String, CodingKey {
            case text, unit
            case observedAt = "observed_at"
        }
    }

    public init(
        reasons: [Reason],
        number: String,
        kind: IncidentKind,
        title: String,
        status: IncidentStatus,
        severity: Int? = nil,
        exercise: Bool,
        place: String? = nil,
        centre: GeoPoint? = nil,
        reportCount: Int = 0,
        photoCount: Int = 0,
        newPhotos: Int = 0,
        casualties: Casualties = Casualties(),
        lastReportAt: Date? = nil,
        mergedFrom: [String] = [],
        image: Image? = nil
    ) {
        self.reasons = reasons
        self.number = number
        self.kind = kind
        self.title = title
        self.status = status
        self.severity = severity
        self.exercise = exercise
        self.place = place
        self.centre = centre
        self.reportCount = reportCount
        self.photoCount = photoCount
        self.newPhotos = newPhotos
        self.casualties = casualties
        self.lastReportAt = lastReportAt
        self.mergedFrom = mergedFrom
        self.image = image
    }

    /// The summary of an incident as it stands, for the given reasons.
    public init(
        incident: Incident,
        reasons: [Reason],
        photoCount: Int,
        newPhotos: Int,
        lastReportAt: Date?,
        mergedFrom: [String],
        image: Image?
    ) {
        self.init(
            reasons: reasons, number: incident.number, kind: incident.kind, title: incident.title,
            status: incident.status, severity: incident.severity, exercise: incident.exercise, place: incident.place,
            centre: incident.centre, reportCount: incident.reportCount, photoCount: photoCount, newPhotos: newPhotos,
            casualties: incident.casualties, lastReportAt: lastReportAt, mergedFrom: mergedFrom, image: image)
        area = incident.area
        homes = incident.homes
        headquarters = incident.headquarters
    }

    /// The message `noroshi rooms test` sends: a summary of no incident.
    public static func test(exercise: Bool = false) -> Summary {
        Summary(
            reasons: [.test], number: "TEST", kind: .other, title: "Noroshi connection test", status: .reported,
            exercise: exercise)
    }

    /// The message a witness room gets at a checkpoint: the audit log's signed head, to keep outside the server.
    public static func auditWitness(line: String, seq: Int64) -> Summary {
        var summary = Summary(
            reasons: [.auditHead], number: "AUDIT", kind: .other, title: "Noroshi audit log head", status: .reported,
            exercise: false)
        summary.auditHead = line
        summary.auditSeq = seq
        return summary
    }

    /// Whether this message is about no incident (a connection test, an audit head).
    public var isAboutNoIncident: Bool { reasons == [.test] || reasons == [.auditHead] }

    enum CodingKeys: String, CodingKey {
        case reasons, number, kind, title, status, severity, exercise, place, centre
        case reportCount = "report_count"
        case photoCount = "photo_count"
        case newPhotos = "new_photos"
        case casualties
        case lastReportAt = "last_report_at"
        case mergedFrom = "merged_from"
        case image, area, homes, headquarters, sokuho
        case minutesSinceKakuchi = "minutes_since_kakuchi"
        case newestReport = "newest_report"
        case newReports = "new_reports"
        case previousCasualties = "previous_casualties"
        case previousHomes = "previous_homes"
        case auditHead = "audit_head"
        case auditSeq = "audit_seq"
    }
}
