import Foundation
import NoroshiCore
import NoroshiPlaces

/// The board `/`: open incidents of the real tab (or the drills tab), filtered, paged, with a section for
/// incidents without a position.
public struct ListPage {
    var chrome: Chrome
    var table: IncidentTable
    var unlocatedTable: IncidentTable
    var hasRows: Bool
    var hasUnlocated: Bool
    var exercise: Bool
    var range: String
    var previousLink: String?
    var nextLink: String?
    var filters: FilterForm
    var readOnly: Bool
    /// The exports of exactly what the filters show (located and unlocated, every page).
    var exports: [Link]

    struct Link {
        var label: String
        var href: String
    }

    struct IncidentTable {
        var items: [IncidentRow]
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    public init(
        language: BoardLanguage, viewer: Viewer, query: ListQuery, incidents: [(Incident, Int)], total: Int,
        unlocated: [(Incident, Int)], now: Date
    ) {
        let t = language.words
        let pairs = query.pairs()
        chrome = Chrome(
            language: language, title: query.exercise ? t["drills"]! : t["board"]!, viewer: viewer, path: "/",
            query: QueryString.encode(pairs), current: query.exercise ? "drills" : "board", live: true)
        table = IncidentTable(items: incidents.map { IncidentRow($0.0, photos: $0.1, language: language, now: now) })
        unlocatedTable = IncidentTable(
            items: unlocated.map { IncidentRow($0.0, photos: $0.1, language: language, now: now) })
        hasRows = !table.items.isEmpty
        hasUnlocated = !unlocatedTable.items.isEmpty
        exercise = query.exercise
        let first = (query.page - 1) * ListQuery.pageSize + 1
        let last = first + incidents.count - 1
        let format = NumberFormatter()
        format.numberStyle = .decimal
        format.locale = Locale(identifier: "en_US_POSIX")
        func n(_ value: Int) -> String { format.string(from: NSNumber(value: value)) ?? String(value) }
        if total == 0 {
            range = language == .japanese ? "0件" : "0 incidents"
        } else {
            range =
                language == .japanese
                ? "\(n(total))件中 \(n(first))–\(n(last))件" : "\(n(first))–\(n(last)) of \(n(total))"
        }
        previousLink = query.page > 1 ? "/?" + QueryString.encode(query.pairs(page: query.page - 1)) : nil
        nextLink = last < total ? "/?" + QueryString.encode(query.pairs(page: query.page + 1)) : nil
        filters = FilterForm(language: language, query: query, action: "/")
        readOnly = !viewer.canAct
        let ja = language == .japanese
        let filtered = QueryString.encode(query.pairs().filter { $0.0 != "sort" })
        let suffix = filtered.isEmpty ? "" : "?" + filtered
        exports = [
            Link(label: ja ? "事案 CSV（Excel）" : "Incidents CSV (Excel)", href: "/export/incidents.csv" + suffix),
            Link(label: ja ? "報告 CSV" : "Reports CSV", href: "/export/reports.csv" + suffix),
            Link(label: ja ? "事案 GeoJSON（GIS）" : "Incidents GeoJSON (GIS)", href: "/export/incidents.geojson" + suffix),
            Link(label: ja ? "報告 GeoJSON" : "Reports GeoJSON", href: "/export/reports.geojson" + suffix),
        ]
    }
}

/// The filters above the board and the map: a GET form with the board's query parameters.
struct FilterForm {
    var action: String
    var exerciseValue: String
    var kinds: [ListPage.Option]
    var statuses: [ListPage.Option]
    var severities: [ListPage.Option]
    var prefectures: [ListPage.Option]
    var sinces: [ListPage.Option]
    var sorts: [ListPage.Option]
    var hasSorts: Bool
    var text: String
    var clearLink: String
    /// Fields the form carries along unchanged (the map's view).
    var hidden: [Hidden]

    struct Hidden {
        var name: String
        var value: String
    }

    init(
        language: BoardLanguage, query: ListQuery, action: String, sorting: Bool = true, hidden: [(String, String)] = []
    ) {
        typealias Option = ListPage.Option
        let t = language.words
        self.action = action
        exerciseValue = query.exercise ? "1" : ""
        kinds =
            [Option(value: "", label: t["allKinds"]!, selected: query.kind == nil)]
            + IncidentKind.allCases.map {
                Option(value: $0.rawValue, label: language.kind($0), selected: query.kind == $0)
            }
        statuses =
            [Option(value: "", label: t["allStatuses"]!, selected: query.status == nil)]
            + IncidentStatus.openSequence.map {
                Option(value: $0.rawValue, label: language.status($0), selected: query.status == $0)
            }
        severities =
            [Option(value: "", label: t["anySeverity"]!, selected: query.minSeverity == nil)]
            + Incident.severities.map {
                Option(value: String($0), label: "≥ \($0)", selected: query.minSeverity == $0)
            }
        prefectures =
            [Option(value: "", label: t["allPrefectures"]!, selected: query.prefecture == nil)]
            + Places.shared.prefectures.map {
                Option(
                    value: String($0.number), label: language == .japanese ? $0.name : $0.englishName,
                    selected: query.prefecture == $0.number)
            }
        let sinceLabels: [ListQuery.Since: String] = [
            .hour: t["since1h"]!, .sixHours: t["since6h"]!, .day: t["since24h"]!, .all: t["sinceAll"]!,
        ]
        sinces = ListQuery.Since.allCases.map {
            Option(value: $0.rawValue, label: sinceLabels[$0]!, selected: query.since == $0)
        }
        sorts =
            sorting
            ? [
                Option(value: "activity", label: t["sortActivity"]!, selected: query.sort == .activity),
                Option(value: "opened", label: t["sortOpened"]!, selected: query.sort == .opened),
            ] : []
        hasSorts = sorting
        text = query.text
        clearLink = action + (query.exercise ? "?exercise=1" : "")
        self.hidden = hidden.map { Hidden(name: $0.0, value: $0.1) }
    }
}
