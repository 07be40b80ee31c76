import Foundation

/// One 即報 (第N報) as issued: a snapshot of an incident in the terms of the FDMA forms (火災・災害等即報要領,
/// 第4号様式(その1) 災害概況即報; 第1号様式 for fires). Stored once and never changed: a correction is the next 報.
public struct Sokuho: Sendable, Hashable, Codable {
    /// N of 第N報, counted per incident from 1.
    public var sequence: Int
    public var incidentNumber: String
    /// 報告日時: when it was issued.
    public var issuedAt: Date
    /// ○月○日○時○分現在: the moment the facts describe (the issue time unless HQ gave an earlier one).
    public var asOf: Date
    /// 報告者: the name of the token that issued it.
    public var reporter: String
    /// 都道府県 and 市町村 of the incident's area, with its 全国地方公共団体コード.
    public var prefecture: String?
    public var municipality: String?
    public var areaCode: String?
    /// 災害名: the incident's title (in Japanese).
    public var title: String
    public var kind: IncidentKind
    /// 発生場所: the place in words (area and the reporter's place name).
    public var place: String
    public var latitude: Double?
    public var longitude: Double?
    /// 発生日時 as Noroshi knows it: 覚知, when the incident's first report was received.
    public var kakuchi: Date
    /// 災害の概況: HQ's text (prefilled from the latest reports).
    public var situation: String
    public var casualties: Casualties
    public var homes: HomeDamage
    public var headquarters: HeadquartersStatus?
    public var status: IncidentStatus
    public var severity: Int?
    public var reportCount: Int
    public var exercise: Bool

    public init(
        sequence: Int, incident: Incident, issuedAt: Date, asOf: Date, reporter: String, situation: String
    ) {
        self.sequence = sequence
        incidentNumber = incident.number
        self.issuedAt = issuedAt
        self.asOf = asOf
        self.reporter = reporter
        prefecture = incident.area?.prefecture
        municipality = incident.area?.municipality
        areaCode = incident.area?.code
        title = incident.title(japanese: true)
        kind = incident.kind
        place = Self.place(of: incident)
        // The running mean's float noise (34.385400000000004) rounded off: 1e-6° is about 0.1 m.
        latitude = incident.centre.map { ($0.latitude * 1e6).rounded() / 1e6 }
        longitude = incident.centre.map { ($0.longitude * 1e6).rounded() / 1e6 }
        kakuchi = incident.openedAt
        self.situation = situation
        casualties = incident.casualties
        homes = incident.homes
        headquarters = incident.headquarters
        status = incident.status
        severity = incident.severity
        reportCount = incident.reportCount
        self.exercise = incident.exercise
    }

    /// 「第2報」.
    public var label: String { "第\(sequence)報" }

    /// 発生場所 in words: 「岐阜県高山市（国道41号）」, the reporter's place alone, 「海上または国外」, 「位置不明」.
    static func place(of incident: Incident) -> String {
        switch (incident.area, incident.place) {
        case (let area?, let place?): "\(area.name(japanese: true))（\(place)）"
        case (let area?, nil): area.name(japanese: true)
        case (nil, let place?): place
        case (nil, nil): incident.centre == nil ? "位置不明" : "海上または国外"
        }
    }

    /// 災害の概況 as Noroshi prefills it: the newest reports (at most `limit`), oldest first, one line each —
    /// 「14:05 高山消防署2隊: 延焼中」 in Japan Standard Time.
    public static func draftSituation(reports: [Report], limit: Int = 5) -> String {
        reports.sorted { ($0.observedAt, $0.id) > ($1.observedAt, $1.id) }.prefix(limit).reversed().map { report in
            let time = RFC3339.hourMinute(from: report.observedAt, utcOffset: 9 * 3600)
            let who = report.unit ?? report.reporter ?? report.submittedBy
            let text = report.text.replacingOccurrences(of: "\n", with: " ")
            return "\(time) \(who): \(text)"
        }.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey {
        case sequence
        case incidentNumber = "incident_number"
        case issuedAt = "issued_at"
        case asOf = "as_of"
        case reporter, prefecture, municipality
        case areaCode = "area_code"
        case title, kind, place, latitude, longitude, kakuchi, situation, casualties, homes, headquarters, status,
            severity
        case reportCount = "report_count"
        case exercise
    }
}

/// Where an incident stands under the 30-minute rule: how many 報 were issued and when the first one was.
public struct SokuhoState: Sendable, Hashable, Codable {
    public var count: Int
    public var firstIssuedAt: Date?
    /// 覚知 + 30 minutes: when 第1報 is due (火災・災害等即報要領).
    public var dueAt: Date

    public init(count: Int, firstIssuedAt: Date?, dueAt: Date) {
        self.count = count
        self.firstIssuedAt = firstIssuedAt
        self.dueAt = dueAt
    }

    /// The rule's 30 minutes from 覚知 to 第1報.
    public static let deadline: TimeInterval = 30 * 60

    enum CodingKeys: String, CodingKey {
        case count
        case firstIssuedAt = "first_issued_at"
        case dueAt = "due_at"
    }
}

/// What `GET /v1/incidents/{ref}/sokuho` answers: the issued 報, oldest first, and what the next one would be.
public struct SokuhoList: Sendable, Hashable, Codable {
    public var incident: String
    public var sokuho: [Sokuho]
    /// N of the next 第N報.
    public var nextSequence: Int
    /// 災害の概況 as the next one would be prefilled.
    public var draftSituation: String

    public init(incident: String, sokuho: [Sokuho], nextSequence: Int, draftSituation: String) {
        self.incident = incident
        self.sokuho = sokuho
        self.nextSequence = nextSequence
        self.draftSituation = draftSituation
    }

    enum CodingKeys: String, CodingKey {
        case incident, sokuho
        case nextSequence = "next_sequence"
        case draftSituation = "draft_situation"
    }
}

extension SokuhoState: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("count", count)
            w.member("due_at", dueAt)
            w.member("first_issued_at", firstIssuedAt)
        }
    }
}
