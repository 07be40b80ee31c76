import Foundation

/// An incident: one fire, one slide, one infected farm, with the reports that describe it.
public struct Incident: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// The human number, e.g. `F-2026-0042`.
    public var number: String
    public var kind: IncidentKind
    public var title: String
    public var status: IncidentStatus
    /// 1 (minor) to 5 (catastrophic); nil until HQ assesses it.
    public var severity: Int?
    public var exercise: Bool
    /// The mean position of the located reports.
    public var centre: GeoPoint?
    /// The box around every located report.
    public var extent: GeoBox?
    /// The first place name a report gave.
    public var place: String?
    public var reportCount: Int
    /// The latest counts reported for each category.
    public var casualties: Casualties
    public var openedAt: Date
    public var updatedAt: Date
    /// The latest observed time of a report, or the latest status change.
    public var lastActivityAt: Date
    public var closedAt: Date?
    /// The number of the incident this one was merged into, if it was.
    public var mergedInto: String?
    /// The 都道府県 and 市区町村 of its first located report (by receipt), so that it does not wander as
    /// later reports move the centre; nil when unlocated, at sea or outside Japan.
    public var area: Area? = nil
    /// Whether the title is the one Noroshi made from kind and place (HQ has not set one); the board and
    /// chat then write it in their own language.
    public var titleIsDefault = false
    /// The latest 住家被害 counts reported or set by HQ.
    public var homes = HomeDamage()
    /// 災害対策本部 設置状況 as HQ recorded it; nil when nothing was recorded (shown as 未確認).
    public var headquarters: HeadquartersStatus? = nil
    /// 即報 issued for it so far, and when 第1報 is due; nil only in values made before it existed.
    public var sokuho: SokuhoState? = nil

    public init(
        id: Int64,
        number: String,
        kind: IncidentKind,
        title: String,
        status: IncidentStatus,
        severity: Int?,
        exercise: Bool,
        centre: GeoPoint?,
        extent: GeoBox?,
        place: String?,
        reportCount: Int,
        casualties: Casualties,
        openedAt: Date,
        updatedAt: Date,
        lastActivityAt: Date,
        closedAt: Date?,
        mergedInto: String?
    ) {
        self.id = id
        self.number = number
        self.kind = kind
        self.title = title
        self.status = status
        self.severity = severity
        self.exercise = exercise
        self.centre = centre
        self.extent = extent
        self.place = place
        self.reportCount = reportCount
        self.casualties = casualties
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.lastActivityAt = lastActivityAt
        self.closedAt = closedAt
        self.mergedInto = mergedInto
    }

    /// Whether the incident is open and has not been merged into another.
    public var isOpen: Bool { status.isOpen && mergedInto == nil }

    /// The allowed severities.
    public static let severities = 1...5

    /// The title an incident gets until HQ gives it one, from its kind and where it is: 「高山市の火災」,
    /// "Fire in Takayama City"; the reporter's place name when the position has no area; 「海上・国外の火災」
    /// for a position at sea or outside Japan; 「場所不明の火災」 without a position.
    public static func defaultTitle(
        kind: IncidentKind, area: Area?, place: String?, located: Bool, japanese: Bool = true
    ) -> String {
        let noun = japanese ? kind.titleNoun : kind.englishTitleNoun
        if let area {
            return japanese
                ? "\(area.shortName(japanese: true))の\(noun)" : "\(noun) in \(area.shortName(japanese: false))"
        }
        if let place { return japanese ? "\(place)の\(noun)" : "\(noun) at \(place)" }
        if located { return japanese ? "海上・国外の\(noun)" : "\(noun) at sea or outside Japan" }
        return japanese ? "場所不明の\(noun)" : "\(noun), location unknown"
    }

    /// The title to show in one language: the stored one, or the default written in that language.
    public func title(japanese: Bool) -> String {
        guard titleIsDefault else { return title }
        return Self.defaultTitle(kind: kind, area: area, place: place, located: centre != nil, japanese: japanese)
    }

    enum CodingKeys: String, CodingKey {
        case id, number, kind, title, status, severity, exercise, centre, extent, place
        case reportCount = "report_count"
        case casualties
        case openedAt = "opened_at"
        case updatedAt = "updated_at"
        case lastActivityAt = "last_activity_at"
        case closedAt = "closed_at"
        case mergedInto = "merged_into"
        case area
        case titleIsDefault = "title_is_default"
        case homes, headquarters, sokuho
    }
}

/// An incident with its reports and its timeline, as `GET /v1/incidents/{ref}` returns it.
public struct IncidentDetail: Sendable, Hashable, Codable {
    public var incident: Incident
    /// Minutes from 覚知 (the first report's receipt) to the moment of the answer.
    public var minutesSinceKakuchi: Int? = nil
    public var reports: [Report]
    public var timeline: [TimelineEvent]
    /// Numbers of incidents that were merged into this one; they resolve here.
    public var mergedFrom: [String]
    /// The photos of its reports, oldest first.
    public var photos: [ReportPhoto]

    public init(
        incident: Incident, reports: [Report], timeline: [TimelineEvent], mergedFrom: [String],
        photos: [ReportPhoto] = []
    ) {
        self.incident = incident
        self.reports = reports
        self.timeline = timeline
        self.mergedFrom = mergedFrom
        self.photos = photos
    }

    enum CodingKeys: String, CodingKey {
        case incident, reports, timeline, photos
        case mergedFrom = "merged_from"
        case minutesSinceKakuchi = "minutes_since_kakuchi"
    }
}

/// One entry in an incident's timeline: who did what, when. Written in the same transaction as the change.
public struct TimelineEvent: Sendable, Hashable, Codable, Identifiable {
    /// What happened.
    public enum Action: String, Sendable, Codable, Hashable {
        case opened
        case reportAdded = "report_added"
        case photoAdded = "photo_added"
        /// A photo's EXIF position or time filled in what its report had left out.
        case reportFilled = "report_filled"
        case reportLinked = "report_linked"
        case reportUnlinked = "report_unlinked"
        case statusChanged = "status_changed"
        case titleChanged = "title_changed"
        case severityChanged = "severity_changed"
        case merged
        case mergedInto = "merged_into"
        /// HQ set casualty or home damage counts by hand.
        case countsChanged = "counts_changed"
        /// HQ recorded the 災害対策本部 設置状況.
        case headquartersChanged = "headquarters_changed"
        /// HQ issued a 即報 (第N報).
        case sokuhoIssued = "sokuho_issued"
    }

    public var id: Int64
    public var incidentID: Int64
    public var at: Date
    /// The token name (or `cli` for local commands) that caused the change.
    public var actor: String
    public var action: Action
    /// A one-line English description, e.g. "Status changed from reported to confirmed."
    public var message: String
    public var reportID: Int64?

    public init(
        id: Int64,
        incidentID: Int64,
        at: Date,
        actor: String,
        action: Action,
        message: String,
        reportID: Int64?
    ) {
        self.id = id
        self.incidentID = incidentID
        self.at = at
        self.actor = actor
        self.action = action
        self.message = message
        self.reportID = reportID
    }

    enum CodingKeys: String, CodingKey {
        case id
        case incidentID = "incident_id"
        case at, actor, action, message
        case reportID = "report_id"
    }
}

/// The outcome of submitting a report: the stored report, its incident, and whether it was new.
public struct ReportReceipt: Sendable, Hashable, Codable {
    public var report: Report
    public var incident: Incident
    /// False when the client key had been seen before and this is the original result again.
    public var created: Bool
    /// True when this report opened the incident.
    public var openedIncident: Bool

    public init(report: Report, incident: Incident, created: Bool, openedIncident: Bool) {
        self.report = report
        self.incident = incident
        self.created = created
        self.openedIncident = openedIncident
    }

    enum CodingKeys: String, CodingKey {
        case report, incident, created
        case openedIncident = "opened_incident"
    }
}
