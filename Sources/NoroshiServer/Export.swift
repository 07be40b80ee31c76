import Foundation
import NoroshiCore

/// The rows of an export, as CSV for Excel in Japan or as GeoJSON (RFC 7946) for GIS.
///
/// CSV: UTF-8 with a byte order mark (Excel reads UTF-8 only with it), CRLF line ends, RFC 4180 quoting,
/// Japanese headers unless `lang=en`, times in JST as `2026-11-21 14:05:30`, and a count nobody reported as
/// 未確認 (unknown), never 0. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets
/// a leading `'`, so that a spreadsheet shows it as text instead of running it as a formula.
/// GeoJSON: a FeatureCollection of Points in longitude, latitude order (`geometry: null` without a position),
/// an incident's extent as its `bbox`, the list's fields as properties, times in RFC 3339.
enum Export {
    enum Format: String {
        case csv, geojson

        var contentType: String {
            switch self {
            case .csv: "text/csv; charset=utf-8"
            case .geojson: "application/geo+json"
            }
        }
    }

    /// What comes before the first row.
    static func start(_ format: Format, header: [String]) -> String {
        switch format {
        case .csv: "\u{FEFF}" + csvLine(header.map(csvText))
        case .geojson: #"{"type":"FeatureCollection","features":["#
        }
    }

    /// What comes after the last row.
    static func end(_ format: Format) -> String { format == .csv ? "" : "]}\n" }

    // MARK: CSV

    static func csvLine(_ cells: [String]) -> String { cells.joined(separator: ",") + "\r\n" }

    /// A text cell: neutralised against formulas, quoted when it holds a comma, quote or line break.
    static func csvText(_ text: String?) -> String {
        guard var text, !text.isEmpty else { return "" }
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `2026-11-21 14:05:30`, Japan Standard Time.
    static func jst(_ date: Date?) -> String {
        guard let date else { return "" }
        return String(RFC3339.string(from: date, utcOffset: 9 * 3600).prefix(19)).replacingOccurrences(
            of: "T", with: " ")
    }

    static func count(_ value: Int?, ja: Bool) -> String { value.map(String.init) ?? (ja ? "未確認" : "unknown") }

    static func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }

    static func incidentHeader(ja: Bool) -> [String] {
        ja
            ? [
                "事案番号", "種別", "状況", "深刻度", "件名", "都道府県", "市区町村", "全国地方公共団体コード", "報告された場所", "緯度", "経度",
                "報告数", "死者", "行方不明者", "負傷者", "覚知(JST)", "最終活動(JST)", "終了(JST)", "統合先", "訓練",
            ]
            : [
                "number", "kind", "status", "severity", "title", "prefecture", "municipality", "area_code", "place",
                "latitude", "longitude", "reports", "dead", "missing", "injured", "reported_at_jst",
                "last_activity_jst", "closed_jst", "merged_into", "exercise",
            ]
    }

    static func csvRow(_ incident: Incident, ja: Bool) -> String {
        let c = incident.casualties
        return csvLine([
            csvText(incident.number), csvText(ja ? incident.kind.japaneseName : incident.kind.rawValue),
            csvText(ja ? incident.status.japaneseName : incident.status.rawValue),
            incident.severity.map(String.init) ?? (ja ? "未評価" : ""),
            csvText(incident.title(japanese: ja)), csvText(prefecture(incident.area, ja: ja)),
            csvText(municipality(incident.area, ja: ja)), incident.area?.code ?? "", csvText(incident.place),
            number(incident.centre?.latitude), number(incident.centre?.longitude), String(incident.reportCount),
            count(c.dead, ja: ja), count(c.missing, ja: ja), count(c.injured, ja: ja), jst(incident.openedAt),
            jst(incident.lastActivityAt), jst(incident.closedAt), csvText(incident.mergedInto),
            incident.exercise ? (ja ? "訓練" : "true") : "",
        ])
    }

    static func reportHeader(ja: Bool) -> [String] {
        ja
            ? [
                "報告番号", "事案番号", "種別", "本文", "隊", "報告者", "送信者", "都道府県", "市区町村", "全国地方公共団体コード", "報告された場所",
                "緯度", "経度", "精度(m)", "死者", "行方不明者", "負傷者", "観測時刻(JST)", "観測時刻の出典", "受信時刻(JST)", "訓練",
            ]
            : [
                "report", "incident", "kind", "text", "unit", "reporter", "submitted_by", "prefecture", "municipality",
                "area_code", "place", "latitude", "longitude", "accuracy_m", "dead", "missing", "injured",
                "observed_jst", "observed_source", "received_jst", "exercise",
            ]
    }

    static func csvRow(_ report: Report, ja: Bool) -> String {
        let c = report.casualties
        return csvLine([
            String(report.id), csvText(report.incidentNumber),
            csvText(ja ? report.kind.japaneseName : report.kind.rawValue), csvText(report.text), csvText(report.unit),
            csvText(report.reporter), csvText(report.submittedBy), csvText(prefecture(report.area, ja: ja)),
            csvText(municipality(report.area, ja: ja)), report.area?.code ?? "", csvText(report.place),
            number(report.latitude), number(report.longitude), number(report.accuracy), count(c.dead, ja: ja),
            count(c.missing, ja: ja), count(c.injured, ja: ja), jst(report.observedAt),
            report.observedAtSource.rawValue, jst(report.receivedAt), report.exercise ? (ja ? "訓練" : "true") : "",
        ])
    }

    static func prefecture(_ area: Area?, ja: Bool) -> String? {
        area.map { ja ? $0.prefecture : $0.prefectureEnglish }
    }

    static func municipality(_ area: Area?, ja: Bool) -> String? {
        ja ? area?.municipality : area?.municipalityEnglish
    }

    // MARK: GeoJSON

    static func point(_ point: GeoPoint?) -> String {
        guard let point else { return "null" }
        return #"{"type":"Point","coordinates":["# + "\(point.longitude),\(point.latitude)]}"
    }

    static func feature(_ incident: Incident) -> [UInt8] {
        var w = JSONWriter()
        w.object { f in
            f.member("type", "Feature")
            f.member("id", incident.number)
            if let box = incident.extent, incident.centre != nil {
                f.member(
                    "bbox", json: "[\(box.minLongitude),\(box.minLatitude),\(box.maxLongitude),\(box.maxLatitude)]")
            }
            f.member("geometry", json: point(incident.centre))
            f.member("properties", json: "")
            f.object { p in
                p.member("number", incident.number)
                p.member("kind", incident.kind.rawValue)
                p.member("title", incident.title)
                p.member("status", incident.status.rawValue)
                p.member("severity", incident.severity)
                p.member("exercise", incident.exercise)
                p.member("place", incident.place)
                area(incident.area, into: &p)
                p.member("report_count", incident.reportCount)
                p.member("dead", incident.casualties.dead)
                p.member("missing", incident.casualties.missing)
                p.member("injured", incident.casualties.injured)
                p.member("opened_at", incident.openedAt)
                p.member("last_activity_at", incident.lastActivityAt)
                p.member("closed_at", incident.closedAt)
                p.member("merged_into", incident.mergedInto)
            }
        }
        return w.bytes
    }

    static func feature(_ report: Report) -> [UInt8] {
        var w = JSONWriter()
        w.object { f in
            f.member("type", "Feature")
            f.member("id", report.id)
            f.member("geometry", json: point(report.position))
            f.member("properties", json: "")
            f.object { p in
                p.member("report", report.id)
                p.member("incident", report.incidentNumber)
                p.member("kind", report.kind.rawValue)
                p.member("text", report.text)
                p.member("unit", report.unit)
                p.member("reporter", report.reporter)
                p.member("submitted_by", report.submittedBy)
                p.member("place", report.place)
                area(report.area, into: &p)
                p.member("accuracy_m", report.accuracy)
                p.member("dead", report.casualties.dead)
                p.member("missing", report.casualties.missing)
                p.member("injured", report.casualties.injured)
                p.member("observed_at", report.observedAt)
                p.member("observed_at_source", report.observedAtSource.rawValue)
                p.member("received_at", report.receivedAt)
                p.member("exercise", report.exercise)
            }
        }
        return w.bytes
    }

    static func area(_ area: Area?, into p: inout JSONWriter) {
        p.member("area_code", area?.code)
        p.member("prefecture", area?.prefecture)
        p.member("municipality", area?.municipality)
    }
}
