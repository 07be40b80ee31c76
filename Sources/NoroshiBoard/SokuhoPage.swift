import Foundation
import NoroshiCore

/// One issued 即報 as a printable A4 page laid out like the FDMA form: 第4号様式(その1) 災害概況即報, or for a fire
/// the fields of 第1号様式 火災等即報 that Noroshi holds. Always in Japanese, as the form is; every value is the
/// stored snapshot, so the page prints the same tomorrow as today.
public struct SokuhoPage {
    var formNumber: String
    var formName: String
    var isFire: Bool
    var exercise: Bool
    var label: String
    var issuedAt: String
    var asOf: String
    var prefecture: String
    var municipality: String
    var areaCode: String?
    var reporter: String
    var title: String
    var placeLabel: String
    var place: String
    var position: String?
    var kakuchiLabel: String
    var kakuchi: String
    var situation: [String]
    var dead: String
    var missing: String
    var injured: String
    var severelyInjured: String
    var slightlyInjured: String
    var homes: [Cell]
    var headquarters: String
    var status: String
    var incidentNumber: String
    var back: String

    struct Cell {
        var label: String
        var value: String
    }

    public init(_ sokuho: Sokuho) {
        isFire = sokuho.kind == .fire
        formNumber = isFire ? "第1号様式" : "第4号様式（その1）"
        formName = isFire ? "火災等即報" : "災害概況即報"
        exercise = sokuho.exercise
        label = sokuho.label
        issuedAt = Self.japanese(sokuho.issuedAt, year: true)
        asOf = Self.japanese(sokuho.asOf, year: false) + "現在"
        let unknown = "未確認"
        prefecture = sokuho.prefecture ?? unknown
        municipality = sokuho.municipality ?? unknown
        areaCode = sokuho.areaCode
        reporter = Terminal.visible(sokuho.reporter)
        title = Terminal.visible(sokuho.title)
        placeLabel = isFire ? "出火場所" : "発生場所"
        place = Terminal.visible(sokuho.place)
        if let latitude = sokuho.latitude, let longitude = sokuho.longitude {
            position = String(format: "北緯 %.5f 東経 %.5f", latitude, longitude)
        }
        kakuchiLabel = isFire ? "覚知日時" : "発生日時（覚知）"
        kakuchi = Self.japanese(sokuho.kakuchi, year: false)
        situation = sokuho.situation.split(separator: "\n", omittingEmptySubsequences: false).map {
            Terminal.visible(String($0))
        }
        // The unit goes with a number only: 「2 人」, 「未確認」.
        func count(_ value: Int?, _ unit: String = "人") -> String { value.map { "\($0) \(unit)" } ?? unknown }
        let c = sokuho.casualties
        dead = count(c.dead)
        missing = count(c.missing)
        injured = count(c.injured)
        severelyInjured = count(c.severelyInjured)
        slightlyInjured = count(c.slightlyInjured)
        homes = sokuho.homes.entries.map { Cell(label: $0.field.japanese, value: count($0.value, "棟")) }
        headquarters =
            sokuho.headquarters.map { "\($0.level.japaneseName)（\(Self.japanese($0.since, year: false))）" }
            ?? unknown
        status = sokuho.status.japaneseName + (sokuho.severity.map { "・深刻度 \($0)/5" } ?? "")
        incidentNumber = sokuho.incidentNumber
        back = "/incidents/" + sokuho.incidentNumber
    }

    /// 「2026年11月21日 14時05分」 (or without the year), Japan Standard Time.
    static func japanese(_ date: Date, year: Bool) -> String {
        let clock = RFC3339.clock(from: date, utcOffset: 9 * 3600)  // 2026-11-21 14:05:30
        let parts = clock.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).map { Int($0) ?? 0 }
        let day = "\(parts[1])月\(parts[2])日 \(parts[3])時\(String(format: "%02d", parts[4]))分"
        return year ? "\(parts[0])年" + day : day
    }
}

extension SokuhoPage: BoardPage { public static let template = "sokuho" }
