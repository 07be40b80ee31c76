import Foundation
import NoroshiCore
import Testing

private func incident(
    _ kind: IncidentKind = .fire,
    severity: Int? = nil,
    exercise: Bool = false,
    at position: (Double, Double)? = (36.1461, 137.2522)
) -> Incident {
    Incident(
        id: 1, number: "F-2026-0001", kind: kind, title: "Fire", status: .reported, severity: severity,
        exercise: exercise, centre: position.map { try! GeoPoint(latitude: $0.0, longitude: $0.1) }, extent: nil,
        place: nil, reportCount: 1, casualties: Casualties(), openedAt: Date(timeIntervalSince1970: 0),
        updatedAt: Date(timeIntervalSince1970: 0), lastActivityAt: Date(timeIntervalSince1970: 0), closedAt: nil,
        mergedInto: nil)
}

@Suite struct ChatRouteTests {
    /// Takayama city hall and a 5 km circle around it; the Hida region as a box.
    static let takayama = try! GeoPoint(latitude: 36.1461, longitude: 137.2522)
    static let routes: [ChatRoute] = [
        ChatRoute(rooms: ["all"]),
        ChatRoute(rooms: ["fire-hq"], kinds: [.fire], exercise: false),
        ChatRoute(rooms: ["prefecture"], minSeverity: 3, exercise: false),
        ChatRoute(rooms: ["takayama"], area: .circle(centre: takayama, metres: 5_000)),
        ChatRoute(
            rooms: ["hida", "all"],
            area: .box(GeoBox(minLatitude: 35.9, maxLatitude: 36.5, minLongitude: 136.8, maxLongitude: 137.7))),
        ChatRoute(rooms: ["drill"], exercise: true),
        ChatRoute(rooms: ["livestock"], kinds: [.avianInfluenza]),
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let incident: Incident
        let rooms: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "fire in Takayama", incident: incident(), rooms: ["all", "fire-hq", "takayama", "hida"]),
        Case(
            name: "severe fire", incident: incident(severity: 4),
            rooms: ["all", "fire-hq", "prefecture", "takayama", "hida"]),
        Case(
            name: "severity below the threshold", incident: incident(severity: 2),
            rooms: ["all", "fire-hq", "takayama", "hida"]),
        Case(
            name: "exercise fire", incident: incident(severity: 5, exercise: true),
            rooms: ["all", "takayama", "hida", "drill"]),
        Case(
            name: "landslide 20 km away, inside the box", incident: incident(.landslide, at: (36.3, 137.35)),
            rooms: ["all", "hida"]),
        Case(
            name: "flood in Gifu city, outside both areas", incident: incident(.flood, at: (35.42, 136.76)),
            rooms: ["all"]),
        Case(
            name: "avian influenza without a position", incident: incident(.avianInfluenza, at: nil),
            rooms: ["all", "livestock"]),
        Case(name: "edge of the box is inside", incident: incident(.other, at: (36.5, 137.7)), rooms: ["all", "hida"]),
    ]

    @Test(arguments: cases)
    func routes(_ example: Case) {
        #expect(Self.routes.rooms(for: example.incident) == example.rooms)
    }

    @Test func noRoutesNoRooms() {
        #expect([ChatRoute]().rooms(for: incident()).isEmpty)
    }
}

@Suite struct SummaryTests {
    static let summary = Summary(
        reasons: [.opened, .photoAdded], number: "XF-2026-0042", kind: .fire, title: "Fire at Kamioka",
        status: .reported, exercise: true, place: "高山市上岡本町",
        centre: try! GeoPoint(latitude: 36.14612, longitude: 137.25221), reportCount: 3, photoCount: 2, newPhotos: 2,
        casualties: Casualties(missing: 1, injured: 2),
        lastReportAt: RFC3339.date(from: "2026-11-21T05:05:30Z"), mergedFrom: [])

    @Test func japaneseByDefaultWithExercisePrefix() {
        let text = Self.summary.rendered(SummaryStyle(boardURL: "https://board.example.lg.jp/")).text
        #expect(
            text == """
                【訓練】【火災】XF-2026-0042 新規発生・写真追加 2枚
                状況: 通報受付 ／ 深刻度 未評価
                場所: 高山市上岡本町 (36.14612, 137.25221)
                報告 3件 ／ 写真 2枚 ／ 人的被害 死者 未確認・行方不明者 1・負傷者 2
                最終報告: 2026-11-21 14:05 JST
                https://board.example.lg.jp/incidents/XF-2026-0042
                """)
    }

    /// Without a place name from the reports, the message names the 都道府県 and 市区町村 of the position.
    @Test func theAreaStandsInForAMissingPlace() {
        var summary = Self.summary
        summary.place = nil
        summary.area = Area(
            code: "212032", prefecture: "岐阜県", municipality: "高山市", prefectureEnglish: "Gifu",
            municipalityEnglish: "Takayama City")
        #expect(summary.rendered().lines.contains("場所: 岐阜県高山市 (36.14612, 137.25221)"))
        #expect(
            summary.rendered(SummaryStyle(language: .english)).lines.contains(
                "Place: Takayama City, Gifu (36.14612, 137.25221)"))
        // A place the reporter named still comes first.
        summary.place = "上岡本町"
        #expect(summary.rendered().lines.contains("場所: 上岡本町 (36.14612, 137.25221)"))
    }

    @Test func englishOnRequest() {
        var summary = Self.summary
        summary.reasons = [.statusChanged, .severityChanged]
        summary.status = .responding
        summary.severity = 3
        summary.place = nil
        let rendered = summary.rendered(SummaryStyle(language: .english, utcOffset: 0))
        #expect(
            rendered.text == """
                EXERCISE — Fire XF-2026-0042: now responding, severity now 3/5
                Status: responding · severity 3/5
                Place: 36.14612, 137.25221
                3 reports · 2 photos · casualties: dead unknown, missing 1, injured 2
                Last report: 2026-11-21 05:05 UTC+00:00
                """)
    }

    @Test func realIncidentsHaveNoPrefix() {
        var summary = Self.summary
        summary.exercise = false
        summary.reasons = [.merged]
        summary.mergedFrom = ["F-2026-0007"]
        #expect(summary.rendered().headline == "【火災】XF-2026-0042 統合（F-2026-0007 を統合）")
        #expect(
            summary.rendered(SummaryStyle(language: .english)).headline
                == "Fire XF-2026-0042: merged with F-2026-0007")
    }

    @Test func htmlEscapesWhatTheFieldSent() {
        var summary = Self.summary
        summary.place = "<script>&\"'"
        let html = summary.rendered(SummaryStyle(boardURL: "https://b.example/?a=1&b=2")).html
        #expect(html.contains("場所: &lt;script&gt;&amp;&quot;&#39; (36.14612, 137.25221)"))
        #expect(html.hasPrefix("<b>【訓練】【火災】XF-2026-0042 新規発生・写真追加 2枚</b><br>"))
        #expect(html.contains("<a href=\"https://b.example/?a=1&amp;b=2/incidents/XF-2026-0042\">"))
        #expect(!html.contains("<script>"))
    }

    @Test func summaryRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(Self.summary)
        #expect(try JSONDecoder().decode(Summary.self, from: data) == Self.summary)
    }
}
