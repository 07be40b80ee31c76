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
        case .csv: "\u{FEFF}" + csvLine(header)
        case .geojson: #"{"type":"FeatureCollection","features":["#
        }
    }

    /// What comes after the last row.
    static func end(_ format: Format) -> String { format == .csv ? "" : "]}\n" }

    // MARK: CSV

    static func csvLine(_ cells: [String]) -> String {
        var row = CSVRow()
        for cell in cells { row.text(cell) }
        return String(decoding: row.end(), as: UTF8.self)
    }

    /// One CSV row written straight into bytes: this runs for every cell of a million rows.
    struct CSVRow {
        private(set) var bytes: [UInt8] = []
        private var first = true

        init() { bytes.reserveCapacity(512) }

        private mutating func separate() {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
        }

        /// A cell of our own making (a number, a code, a time): written as it is.
        mutating func raw(_ text: String?) {
            separate()
            if let text { bytes += text.utf8 }
        }

        mutating func number(_ value: Double?) {
            separate()
            guard let value else { return }
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes += text.utf8
        }

        /// Text someone typed: neutralised against formulas, quoted when it holds a comma, quote or line break.
        mutating func text(_ text: String?) {
            separate()
            guard let text, let lead = text.utf8.first else { return }
            var needsQuoting = false
            for byte in text.utf8
            where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: ",") || byte == 0x0A || byte == 0x0D {
                needsQuoting = true
                break
            }
            if needsQuoting { bytes.append(UInt8(ascii: "\"")) }
            switch lead {
            case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D:
                bytes.append(UInt8(ascii: "'"))
            default: break
            }
            if needsQuoting {
                for byte in text.utf8 {
                    bytes.append(byte)
                    if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                }
                bytes.append(UInt8(ascii: "\""))
            } else {
                bytes += text.utf8
            }
        }

        mutating func end() -> [UInt8] {
            bytes += [0x0D, 0x0A]
            return bytes
        }
    }

    /// `2026-11-21 14:05:30`, Japan Standard Time.
    static func jst(_ date: Date?) -> String? {
        guard let date else { return nil }
        return RFC3339.clock(from: date, utcOffset: 9 * 3600)
    }

    static func count(_ value: Int?, ja: Bool) -> String { value.map(String.init) ?? (ja ? "未確認" : "unknown") }

    static func incidentHeader(ja: Bool) -> [String] {
        ja
            ? [
                "事案番号", "種別", "状況", "深刻度", "件名", "都道府県", "市区町村", "全国地方公共団体コード", "報告された場所", "緯度", "経度",
                "報告数",
            ] + countHeader(ja: true) + [
                "災害対策本部等", "覚知(JST)", "最終活動(JST)", "終了(JST)", "統合先", "訓練",
            ]
            : [
                "number", "kind", "status", "severity", "title", "prefecture", "municipality", "area_code", "place",
                "latitude", "longitude", "reports",
            ] + countHeader(ja: false) + [
                "headquarters", "reported_at_jst",
                "last_activity_jst", "closed_jst", "merged_into", "exercise",
            ]
    }

    static func csvRow(_ incident: Incident, ja: Bool) -> [UInt8] {
        var row = CSVRow()
        row.text(incident.number)
        row.raw(ja ? incident.kind.japaneseName : incident.kind.rawValue)
        row.raw(ja ? incident.status.japaneseName : incident.status.rawValue)
        row.raw(incident.severity.map(String.init) ?? (ja ? "未評価" : ""))
        row.text(incident.title(japanese: ja))
        row.text(prefecture(incident.area, ja: ja))
        row.text(municipality(incident.area, ja: ja))
        row.raw(incident.area?.code)
        row.text(incident.place)
        row.number(incident.centre?.latitude)
        row.number(incident.centre?.longitude)
        row.raw(String(incident.reportCount))
        counts(incident.casualties, incident.homes, into: &row, ja: ja)
        row.raw(
            incident.headquarters.map {
                (ja ? $0.level.japaneseName : $0.level.rawValue) + " " + (jst($0.since) ?? "")
            } ?? (ja ? "未確認" : "unknown"))
        row.raw(jst(incident.openedAt))
        row.raw(jst(incident.lastActivityAt))
        row.raw(jst(incident.closedAt))
        row.text(incident.mergedInto)
        row.raw(incident.exercise ? (ja ? "訓練" : "true") : nil)
        return row.end()
    }

    static func reportHeader(ja: Bool) -> [String] {
        ja
            ? [
                "報告番号", "事案番号", "種別", "本文", "隊", "報告者", "送信者", "都道府県", "市区町村", "全国地方公共団体コード", "報告された場所",
                "緯度", "経度", "精度(m)",
            ] + countHeader(ja: true) + [
                "観測時刻(JST)", "観測時刻の出典", "受信時刻(JST)", "訓練",
            ]
            : [
                "report", "incident", "kind", "text", "unit", "reporter", "submitted_by", "prefecture", "municipality",
                "area_code", "place", "latitude", "longitude", "accuracy_m",
            ] + countHeader(ja: false) + [
                "observed_jst", "observed_source", "received_jst", "exercise",
            ]
    }

    static func csvRow(_ report: Report, ja: Bool) -> [UInt8] {
        var row = CSVRow()
        row.raw(String(report.id))
        row.text(report.incidentNumber)
        row.raw(ja ? report.kind.japaneseName : report.kind.rawValue)
        row.text(report.text)
        row.text(report.unit)
        row.text(report.reporter)
        row.text(report.submittedBy)
        row.text(prefecture(report.area, ja: ja))
        row.text(municipality(report.area, ja: ja))
        row.raw(report.area?.code)
        row.text(report.place)
        row.number(report.latitude)
        row.number(report.longitude)
        row.number(report.accuracy)
        counts(report.casualties, report.homes, into: &row, ja: ja)
        row.raw(jst(report.observedAt))
        row.raw(report.observedAtSource.rawValue)
        row.raw(jst(report.receivedAt))
        row.raw(report.exercise ? (ja ? "訓練" : "true") : nil)
        return row.end()
    }

    /// The ten count columns: 死者 … 軽傷 in people, then 住家全壊(棟) … 住家床下浸水(棟); English headers are the
    /// database columns (`severely_injured`, `homes_destroyed`).
    static func countHeader(ja: Bool) -> [String] {
        Casualties.fields.map { ja ? $0.japanese : $0.column }
            + HomeDamage.fields.map { ja ? "住家\($0.japanese)(棟)" : $0.column }
    }

    static func counts(_ casualties: Casualties, _ homes: HomeDamage, into row: inout CSVRow, ja: Bool) {
        for value in casualties.values + homes.values { row.raw(count(value, ja: ja)) }
    }

    /// The counts as GeoJSON properties named like the database columns; `null` is unknown (未確認), not 0.
    static func counts(_ casualties: Casualties, _ homes: HomeDamage, into p: inout JSONWriter) {
        for (field, value) in casualties.entries { p.member(dynamic: field.column, value) }
        for (field, value) in homes.entries { p.member(dynamic: field.column, value) }
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
                counts(incident.casualties, incident.homes, into: &p)
                p.member("headquarters", incident.headquarters?.level.rawValue)
                p.member("headquarters_since", incident.headquarters?.since)
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
                counts(report.casualties, report.homes, into: &p)
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
