import Foundation
import NoroshiCore

/// One incident as a line of the board (and of the map's list): every value already in words.
struct IncidentRow {
    var number: String
    var link: String
    var kind: String
    var kindCode: String
    var status: String
    var statusCode: String
    var severity: String
    var title: String
    var place: String
    /// The place name the first report gave, under the area ("国道41号").
    var reportedPlace: String?
    /// The area's 全国地方公共団体コード.
    var areaCode: String?
    var reports: Int
    var photos: Int
    var casualties: String
    var hasCasualties: Bool
    var homes: String
    var headquarters: String
    /// The 30-minute rule: 第1報 issued when, or how long since 覚知 without one.
    var sokuho: String
    var sokuhoOverdue: Bool
    var lastActivityRelative: String
    var lastActivityClock: String
    var lastActivityISO: String
    var openedClock: String
    var exercise: Bool
    var open: Bool

    init(_ incident: Incident, photos: Int, language: BoardLanguage, now: Date) {
        number = incident.number
        link = "/incidents/" + incident.number
        kind = language.kind(incident.kind)
        kindCode = incident.kind.rawValue
        status = language.status(incident.status)
        statusCode = incident.mergedInto == nil ? incident.status.rawValue : "merged"
        severity = language.severity(incident.severity)
        title = Terminal.visible(incident.title(japanese: language == .japanese))
        place = language.area(incident.area, located: incident.centre != nil)
        reportedPlace = incident.place.map(Terminal.visible)
        areaCode = incident.area?.code
        reports = incident.reportCount
        self.photos = photos
        casualties = language.casualties(incident.casualties)
        hasCasualties = !incident.casualties.isEmpty
        homes = language.homes(incident.homes)
        headquarters = language.headquarters(incident.headquarters)
        (sokuho, sokuhoOverdue) = language.sokuho(incident, now: now)
        lastActivityRelative = language.relative(incident.lastActivityAt, now: now)
        lastActivityClock = Clock.jst(incident.lastActivityAt)
        lastActivityISO = RFC3339.string(from: incident.lastActivityAt)
        openedClock = Clock.jst(incident.openedAt)
        exercise = incident.exercise
        open = incident.isOpen
    }

}

/// Times as the board shows them: Japan Standard Time, labelled.
enum Clock {
    static func jst(_ date: Date) -> String { Summary.format(date, utcOffset: 9 * 3600) }
}
