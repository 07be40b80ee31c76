import Foundation
import NoroshiCore

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
    var kinds: [Option]
    var statuses: [Option]
    var severities: [Option]
    var sinces: [Option]
    var sorts: [Option]
    var text: String
    var exerciseValue: String
    var readOnly: Bool

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
        exerciseValue = query.exercise ? "1" : ""
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
        let sinceLabels: [ListQuery.Since: String] = [
            .hour: t["since1h"]!, .sixHours: t["since6h"]!, .day: t["since24h"]!, .all: t["sinceAll"]!,
        ]
        sinces = ListQuery.Since.allCases.map {
            Option(value: $0.rawValue, label: sinceLabels[$0]!, selected: query.since == $0)
        }
        sorts = [
            Option(value: "activity", label: t["sortActivity"]!, selected: query.sort == .activity),
            Option(value: "opened", label: t["sortOpened"]!, selected: query.sort == .opened),
        ]
        text = query.text
        readOnly = !viewer.canAct
    }
}
