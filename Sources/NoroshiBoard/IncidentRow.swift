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
    var reports: Int
    var photos: Int
    var casualties: String
    var hasCasualties: Bool
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
        title = Terminal.visible(incident.title)
        place = Terminal.visible(Self.place(incident, language: language))
        reports = incident.reportCount
        self.photos = photos
        casualties = language.casualties(incident.casualties)
        hasCasualties = !incident.casualties.isEmpty
        lastActivityRelative = language.relative(incident.lastActivityAt, now: now)
        lastActivityClock = Clock.jst(incident.lastActivityAt)
        lastActivityISO = RFC3339.string(from: incident.lastActivityAt)
        openedClock = Clock.jst(incident.openedAt)
        exercise = incident.exercise
        open = incident.isOpen
    }

    static func place(_ incident: Incident, language: BoardLanguage) -> String {
        if let place = incident.place { return place }
        if let centre = incident.centre { return String(format: "%.4f, %.4f", centre.latitude, centre.longitude) }
        return language == .japanese ? "位置不明" : "location unknown"
    }
}

/// Times as the board shows them: Japan Standard Time, labelled.
enum Clock {
    static func jst(_ date: Date) -> String { Summary.format(date, utcOffset: 9 * 3600) }
}
