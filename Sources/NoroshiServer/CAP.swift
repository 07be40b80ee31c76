import Foundation
import NoroshiCore
import NoroshiStorage

/// CAP 1.2 (OASIS Common Alerting Protocol) for incidents: one alert per incident, a new version with each
/// change, and an Atom feed of the current ones. Every output validates against the OASIS XSD in the tests.
///
/// Each timeline event of an incident is a version of its alert: the first (the incident opening) is `Alert`,
/// later ones `Update` with `references` to the version before, and a cancelled or merged incident's last one
/// is `Cancel`. Identifiers are `<sender>.<number>.<event id>`, so each version keeps its identifier forever.
///
/// | status | urgency | certainty |
/// |---|---|---|
/// | reported | Immediate | Likely |
/// | confirmed, responding | Immediate | Observed |
/// | contained | Expected | Observed |
/// | closed | Past | Observed |
/// | cancelled (Cancel) | Past | Unlikely |
///
/// Severity 1 Minor, 2 Moderate, 3–4 Severe, 5 Extreme, unassessed Unknown. Category: fire Fire, landslide Geo,
/// avian influenza Health, flood Met, other Other.
public struct CAPSettings: Sendable, Hashable {
    /// `cap.sender`: who sends, globally unique (no spaces or commas); default `noroshi@<host name>`.
    public var sender: String
    /// `cap.sender_name`: the human name in each `info` (default `Noroshi`).
    public var senderName: String = "Noroshi"
    /// `cap.scope`: Public (default), Restricted (with `restriction`) or Private (with `addresses`).
    public var scope: Scope = .public
    public var restriction: String?
    public var addresses: String?
    /// The board's base URL for `web` (from `chat.board_url`).
    public var boardURL: String?

    public enum Scope: String, Sendable, Hashable, CaseIterable {
        case `public` = "Public"
        case restricted = "Restricted"
        case `private` = "Private"
    }

    public init(sender: String? = nil) {
        let host = ProcessInfo.processInfo.hostName.filter { !$0.isWhitespace && $0 != "," }
        self.sender = sender ?? "noroshi@\(host.isEmpty ? "localhost" : host)"
    }
}

enum CAP {
    static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"
    static let contentType = "application/common-alerting-protocol+xml; charset=utf-8"

    /// One alert, with the XML declaration.
    static func document(_ snapshot: CAPSnapshot, settings: CAPSettings) -> String {
        #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" + alert(snapshot, settings: settings)
    }

    /// The `<alert>` element of the snapshot's current version.
    static func alert(_ snapshot: CAPSnapshot, settings: CAPSettings) -> String {
        let incident = snapshot.incident
        let cancelled = incident.status == .cancelled || incident.mergedInto != nil
        let msgType =
            snapshot.previous == nil ? "Alert" : cancelled ? "Cancel" : "Update"
        var x = XMLText()
        x.open("alert", attributes: [("xmlns", namespace)])
        x.element("identifier", identifier(incident, snapshot.current, settings))
        x.element("sender", settings.sender)
        x.element("sent", time(snapshot.current.at))
        x.element("status", incident.exercise ? "Exercise" : "Actual")
        x.element("msgType", msgType)
        x.element("source", "Noroshi")
        x.element("scope", settings.scope.rawValue)
        if settings.scope == .restricted { x.element("restriction", settings.restriction ?? "") }
        if settings.scope == .private { x.element("addresses", settings.addresses ?? "") }
        if let into = incident.mergedInto {
            x.element("note", "Merged into \(into); \(into) carries on as its own alert. / \(into) に統合されました。")
        } else if incident.exercise {
            x.element("note", "【訓練】 Drill, not a real incident. / 訓練です。実際の事案ではありません。")
        }
        if let previous = snapshot.previous {
            let ref = [settings.sender, identifier(incident, previous, settings), time(previous.at)]
            x.element("references", ref.joined(separator: ","))
        }
        x.element("incidents", incident.number)
        for japanese in [true, false] {
            info(snapshot, japanese: japanese, settings: settings, into: &x)
        }
        x.close("alert")
        return x.text
    }

    static func info(_ snapshot: CAPSnapshot, japanese ja: Bool, settings: CAPSettings, into x: inout XMLText) {
        let incident = snapshot.incident
        x.open("info")
        x.element("language", ja ? "ja-JP" : "en-US")
        x.element("category", category(incident.kind))
        x.element("event", ja ? incident.kind.japaneseName : incident.kind.englishTitleNoun)
        let (urgency, certainty) = urgencyAndCertainty(incident.status)
        x.element("urgency", urgency)
        x.element("severity", severity(incident.severity))
        x.element("certainty", certainty)
        x.element("senderName", settings.senderName)
        let drill = incident.exercise ? (ja ? "【訓練】" : "EXERCISE: ") : ""
        let status = ja ? incident.status.japaneseName : incident.status.rawValue
        let title = Terminal.visible(incident.title(japanese: ja))
        x.element(
            "headline",
            ja ? "\(drill)\(title)（\(incident.number)・\(status)）" : "\(drill)\(title) (\(incident.number), \(status))")
        x.element("description", description(snapshot, japanese: ja))
        if let base = settings.boardURL {
            let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
            x.element("web", "\(trimmed)/incidents/\(incident.number)")
        }
        x.open("area")
        x.element("areaDesc", areaDescription(incident, japanese: ja))
        if let centre = incident.centre {
            x.element("circle", String(format: "%.6f,%.6f %.2f", centre.latitude, centre.longitude, radiusKm(incident)))
        }
        if let code = incident.area?.code {
            x.open("geocode")
            x.element("valueName", "JISX0402")
            x.element("value", code)
            x.close("geocode")
        }
        x.close("area")
        x.close("info")
    }

    static func description(_ snapshot: CAPSnapshot, japanese ja: Bool) -> String {
        let incident = snapshot.incident
        var lines: [String] = []
        lines.append(
            (ja ? "人的被害: " : "Casualties: ") + incident.casualties.text(japanese: ja))
        if !incident.homes.isEmpty { lines.append((ja ? "住家被害: " : "Homes: ") + incident.homes.text(japanese: ja)) }
        lines.append((ja ? "報告: " : "Reports: ") + String(incident.reportCount))
        if let report = snapshot.newestReport {
            let who = report.unit ?? report.reporter ?? report.submittedBy
            let text = String(report.text.prefix(500))
            lines.append((ja ? "最新の報告" : "Newest report") + " (\(time(report.observedAt)), \(who)): \(text)")
        }
        return Terminal.visible(lines.joined(separator: "\n"))
    }

    static func areaDescription(_ incident: Incident, japanese ja: Bool) -> String {
        let name = incident.area?.name(japanese: ja)
        switch (name, incident.place) {
        case (let name?, let place?): return Terminal.visible("\(name) (\(place))")
        case (let name?, nil): return name
        case (nil, let place?): return Terminal.visible(place)
        case (nil, nil):
            if incident.centre != nil { return ja ? "海上または国外" : "At sea or outside Japan" }
            return ja ? "位置不明" : "Location unknown"
        }
    }

    /// The circle's radius: to the farthest corner of the reports' extent, at least 100 m.
    static func radiusKm(_ incident: Incident) -> Double {
        guard let centre = incident.centre, let box = incident.extent else { return 0.1 }
        let corners = [
            (box.minLatitude, box.minLongitude), (box.minLatitude, box.maxLongitude),
            (box.maxLatitude, box.minLongitude), (box.maxLatitude, box.maxLongitude),
        ].compactMap { try? GeoPoint(latitude: $0.0, longitude: $0.1) }
        let farthest = corners.map { centre.distance(to: $0) }.max() ?? 0
        return max(0.1, (farthest / 1000 * 100).rounded(.up) / 100)
    }

    static func identifier(_ incident: Incident, _ version: CAPSnapshot.Version, _ settings: CAPSettings) -> String {
        "\(settings.sender).\(incident.number).\(version.eventID)"
    }

    /// `2026-11-21T14:05:30+09:00`: CAP's form, whole seconds with an offset (never `Z`).
    static func time(_ date: Date) -> String {
        let clock = RFC3339.clock(from: date, utcOffset: 9 * 3600)  // 2026-11-21 14:05:30
        return clock.replacingOccurrences(of: " ", with: "T") + "+09:00"
    }

    static func category(_ kind: IncidentKind) -> String {
        switch kind {
        case .fire: "Fire"
        case .landslide: "Geo"
        case .avianInfluenza: "Health"
        case .flood: "Met"
        case .other: "Other"
        }
    }

    static func urgencyAndCertainty(_ status: IncidentStatus) -> (String, String) {
        switch status {
        case .reported: ("Immediate", "Likely")
        case .confirmed, .responding: ("Immediate", "Observed")
        case .contained: ("Expected", "Observed")
        case .closed: ("Past", "Observed")
        case .cancelled: ("Past", "Unlikely")
        }
    }

    static func severity(_ value: Int?) -> String {
        switch value {
        case 1: "Minor"
        case 2: "Moderate"
        case 3, 4: "Severe"
        case 5: "Extreme"
        default: "Unknown"
        }
    }

    /// An Atom (RFC 4287) feed with one entry per alert, the alert itself as the entry's content.
    static func feed(_ snapshots: [CAPSnapshot], settings: CAPSettings, selfURL: String, now: Date) -> String {
        var x = XMLText()
        x.text = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        x.open("feed", attributes: [("xmlns", "http://www.w3.org/2005/Atom")])
        x.element("id", "urn:noroshi:\(settings.sender):cap")
        x.element("title", "Noroshi CAP alerts")
        x.element("updated", time(snapshots.map(\.current.at).max() ?? now))
        x.open("author")
        x.element("name", settings.senderName)
        x.close("author")
        x.empty("link", attributes: [("rel", "self"), ("href", selfURL)])
        for snapshot in snapshots {
            let incident = snapshot.incident
            x.open("entry")
            x.element("id", "urn:noroshi:\(identifier(incident, snapshot.current, settings))")
            x.element("title", "\(incident.number) \(Terminal.visible(incident.title(japanese: true)))")
            x.element("updated", time(snapshot.current.at))
            x.empty(
                "link",
                attributes: [
                    ("rel", "alternate"), ("type", "application/common-alerting-protocol+xml"),
                    ("href", "/v1/incidents/\(incident.number)/cap"),
                ])
            x.open("content", attributes: [("type", "application/common-alerting-protocol+xml")])
            x.text += alert(snapshot, settings: settings)
            x.close("content")
            x.close("entry")
        }
        x.close("feed")
        return x.text
    }
}

/// XML written by hand: elements with escaped text, nothing else.
struct XMLText {
    var text = ""

    mutating func open(_ name: String, attributes: [(String, String)] = []) {
        text += "<\(name)" + attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined() + ">"
    }

    mutating func close(_ name: String) { text += "</\(name)>" }

    mutating func empty(_ name: String, attributes: [(String, String)]) {
        text += "<\(name)" + attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined() + "/>"
    }

    mutating func element(_ name: String, _ value: String) {
        text += "<\(name)>\(Self.escape(value))</\(name)>"
    }

    /// Escapes markup with the summaries' escaping (`&#39;` is a character reference XML reads too); characters
    /// XML 1.0 cannot carry at all (most controls) never arrive here, as every stored text goes through
    /// `Terminal.visible` first.
    static func escape(_ value: String) -> String { RenderedSummary.escape(value) }
}
