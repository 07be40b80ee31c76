import Foundation
import NoroshiCore

/// The incident page `/incidents/{number}`: header, position inset, casualties, every report in full, photos,
/// the timeline and, for HQ, the actions.
public struct IncidentPage {
    var chrome: Chrome
    var incident: IncidentRow
    var kakuchi: String
    var lastActivity: String
    var centre: String?
    var mergedFrom: String?
    var inset: MapInset?
    var reports: [ReportView]
    var photos: [PhotoView]
    var hasPhotos: Bool
    var timeline: [TimelineView]
    var canAct: Bool
    var statusOptions: [ListPage.Option]
    var hasStatusOptions: Bool
    var severityOptions: [ListPage.Option]
    var unlinkOptions: [ListPage.Option]
    var hasUnlinkOptions: Bool
    var error: String?
    var notice: String?
    var sokuho: [SokuhoLink]
    var hasSokuho: Bool
    var showSokuho: Bool
    var canIssue: Bool
    var nextSokuho: String
    var draftSituation: String

    struct SokuhoLink {
        var label: String
        var link: String
        var issuedAt: String
        var reporter: String
    }

    struct ReportView {
        var id: Int64
        var anchor: String
        var text: String
        var unit: String?
        var reporter: String?
        var submittedBy: String
        var observed: String
        var observedSource: String
        var received: String
        var position: String?
        var positionSource: String?
        var place: String?
        /// The 都道府県 and 市区町村 of the position.
        var area: String?
        var casualties: String?
        var homes: String?
        var photos: [PhotoView]
    }

    struct PhotoView {
        var sha256: String
        var shortHash: String
        var reportID: Int64
        var original: String
        var chat: String
        var thumb: String
        var ready: Bool
        var size: String
        var thumbWidth: Int
        var thumbHeight: Int
        var taken: String?
        /// Only the device's preview has arrived: no original to download yet.
        var previewOnly: Bool = false
    }

    struct TimelineView {
        var at: String
        var actor: String
        var message: String
    }

    public init(
        language: BoardLanguage, viewer: Viewer, detail: IncidentDetail, now: Date, error: String? = nil,
        notice: String? = nil, sokuho: SokuhoList? = nil
    ) {
        let incident = detail.incident
        let path = "/incidents/" + incident.number
        chrome = Chrome(
            language: language, title: "\(incident.number) \(incident.title(japanese: language == .japanese))",
            viewer: viewer, path: path, query: "",
            current: incident.exercise ? "drills" : "board", live: true)
        self.incident = IncidentRow(incident, photos: detail.photos.count, language: language, now: now)
        kakuchi = Clock.jst(incident.openedAt)
        lastActivity = "\(Clock.jst(incident.lastActivityAt)) (\(language.relative(incident.lastActivityAt, now: now)))"
        centre = incident.centre.map { String(format: "%.5f, %.5f", $0.latitude, $0.longitude) }
        mergedFrom = detail.mergedFrom.isEmpty ? nil : detail.mergedFrom.joined(separator: ", ")
        inset = MapInset(reports: detail.reports, extent: incident.extent)
        let photoViews = detail.photos.map { Self.photoView($0) }
        photos = photoViews
        hasPhotos = !photoViews.isEmpty
        let ja = language == .japanese
        func source(_ value: Report.Source?) -> String {
            switch value {
            case .sender: ja ? "送信者" : "sender"
            case .receipt: ja ? "受信時刻" : "time of receipt"
            case .photo: ja ? "写真のEXIF" : "photo EXIF"
            case .device: ja ? "端末で作成（送信待ち時間から）" : "written on the device (from its wait in the queue)"
            case nil: ""
            }
        }
        reports = detail.reports.map { report in
            ReportView(
                id: report.id, anchor: "report-\(report.id)", text: Terminal.visible(report.text),
                unit: report.unit.map(Terminal.visible), reporter: report.reporter.map(Terminal.visible),
                submittedBy: Terminal.visible(report.submittedBy), observed: Clock.jst(report.observedAt),
                observedSource: source(report.observedAtSource), received: Clock.jst(report.receivedAt),
                position: report.position.map { String(format: "%.5f, %.5f", $0.latitude, $0.longitude) },
                positionSource: report.position == nil ? nil : source(report.positionSource),
                place: report.place.map(Terminal.visible),
                area: report.position == nil ? nil : language.area(report.area, located: true),
                casualties: report.casualties.isEmpty ? nil : language.casualties(report.casualties),
                homes: report.homes.isEmpty ? nil : language.homes(report.homes),
                photos: photoViews.filter { $0.reportID == report.id })
        }
        timeline = detail.timeline.reversed().map {
            TimelineView(at: Clock.jst($0.at), actor: Terminal.visible($0.actor), message: $0.message)
        }
        canAct = viewer.canAct && incident.mergedInto == nil
        statusOptions = incident.status.allowedNextStatuses.map {
            ListPage.Option(value: $0.rawValue, label: language.status($0), selected: false)
        }
        hasStatusOptions = !statusOptions.isEmpty
        severityOptions = Incident.severities.map {
            ListPage.Option(value: String($0), label: "\($0)/5", selected: incident.severity == $0)
        }
        unlinkOptions =
            detail.reports.count > 1
            ? detail.reports.map {
                ListPage.Option(
                    value: String($0.id), label: "#\($0.id) " + String(Terminal.visible($0.text).prefix(40)),
                    selected: false)
            } : []
        hasUnlinkOptions = !unlinkOptions.isEmpty
        self.error = error
        self.notice = notice
        let issued = sokuho?.sokuho ?? []
        self.sokuho = issued.map {
            SokuhoLink(
                label: $0.label, link: "/incidents/\($0.incidentNumber)/sokuho/\($0.sequence)",
                issuedAt: Clock.jst($0.issuedAt), reporter: Terminal.visible($0.reporter))
        }
        hasSokuho = !issued.isEmpty
        showSokuho = sokuho != nil
        canIssue = canAct && sokuho != nil
        nextSokuho = "第\(sokuho?.nextSequence ?? 1)報"
        draftSituation = Terminal.visible(sokuho?.draftSituation ?? "")
    }

    static func photoView(_ item: ReportPhoto) -> PhotoView {
        let photo = item.photo
        let base = "/photos/" + photo.sha256
        let thumb = photo.thumb ?? Photo.Size(width: 320, height: 240)
        return PhotoView(
            sha256: photo.sha256, shortHash: String(photo.sha256.prefix(12)), reportID: item.reportID,
            original: base, chat: base + "/chat", thumb: base + "/thumb", ready: photo.derivatives == .ready,
            size: "\(photo.width)×\(photo.height)", thumbWidth: thumb.width, thumbHeight: thumb.height,
            taken: photo.takenAt.map(Clock.jst), previewOnly: photo.previewOnly == true)
    }
}
