import Foundation
import NoroshiCore
import NoroshiPlaces

/// The map `/map`: Japan drawn by the server as SVG — prefecture outlines, a chosen prefecture's municipalities,
/// and the incidents that match the board's filters, by kind (shape) and status (colour), sized by reports.
/// Pan and zoom are links; the board's script only makes them smoother.
public struct MapPage {
    var chrome: Chrome
    var filters: FilterForm
    var exercise: Bool
    var readOnly: Bool
    var width: Int
    var height: Int
    var x: String
    var y: String
    var z: Int
    var prefectures: [Shape]
    var municipalities: [Shape]
    var symbols: [Symbol]
    var shown: String
    var navigation: [Link]
    var scale: ScaleBar
    var legendKinds: [LegendItem]
    var legendStatuses: [LegendItem]
    var table: ListPage.IncidentTable
    var hasRows: Bool
    var prefectureName: String?

    struct Shape {
        var d: String
        var name: String
        var link: String?
        var chosen: Bool
    }

    struct Symbol {
        var d: String
        var link: String
        var title: String
        var kind: String
        var status: String
    }

    struct Link {
        var href: String
        var label: String
        var rel: String
    }

    struct LegendItem {
        var d: String
        var label: String
        var kind: String
        var status: String
    }

    /// How many incidents the map draws at most; the rest are counted, and zooming in or filtering shows them.
    public static let symbolLimit = 500

    public init(
        language: BoardLanguage, viewer: Viewer, query: MapQuery, view: MapView, incidents: [(Incident, Int)],
        total: Int, now: Date
    ) {
        let t = language.words
        let ja = language == .japanese
        let list = query.list
        let filterPairs = list.pairs()
        let viewPairs = view.pairs
        chrome = Chrome(
            language: language, title: t["map"]!, viewer: viewer, path: "/map",
            query: QueryString.encode(filterPairs + (query.view == nil ? [] : viewPairs)), current: "map", live: true)
        filters = FilterForm(
            language: language, query: list, action: "/map", sorting: false,
            hidden: query.view == nil ? [] : viewPairs)
        exercise = list.exercise
        readOnly = !viewer.canAct
        width = Int(MapView.width)
        height = Int(MapView.height)
        x = String(format: "%.4f", view.longitude)
        y = String(format: "%.4f", view.latitude)
        z = view.zoom

        let places = Places.shared
        let detailed = view.zoom >= 4
        prefectures = places.prefectures.map { prefecture in
            var pairs = filterPairs.filter { $0.0 != "prefecture" }
            pairs.append(("prefecture", String(prefecture.number)))
            return Shape(
                d: SVGPath.geometry(detailed ? prefecture.detailedOutline : prefecture.outline, in: view),
                name: ja ? prefecture.name : prefecture.englishName, link: "/map?" + QueryString.encode(pairs),
                chosen: prefecture.number == list.prefecture)
        }.filter { !$0.d.isEmpty }
        municipalities =
            list.prefecture.map { number in
                places.municipalities(inPrefecture: number).map { municipality in
                    Shape(
                        d: SVGPath.geometry(municipality.geometry, in: view),
                        name: municipality.area.shortName(japanese: ja), link: nil, chosen: false)
                }.filter { !$0.d.isEmpty }
            } ?? []
        prefectureName = list.prefecture.map {
            ja ? places.prefectures[$0 - 1].name : places.prefectures[$0 - 1].englishName
        }

        let sized: [(Double, Symbol)] = incidents.compactMap { incident, _ in
            guard let centre = incident.centre else { return nil }
            let radius = min(22, 6 + 2.5 * Double(incident.reportCount).squareRoot())
            let place = language.area(incident.area, located: true)
            let symbol = Symbol(
                d: Self.shape(incident.kind, x: view.x(centre.longitude), y: view.y(centre.latitude), radius: radius),
                link: "/incidents/" + incident.number,
                title: "\(incident.exercise ? "【訓練】" : "")\(incident.number) "
                    + "\(Terminal.visible(incident.title(japanese: ja))) — \(language.kind(incident.kind)), "
                    + "\(language.status(incident.status)), \(place)",
                kind: incident.kind.rawValue, status: incident.status.rawValue)
            return (radius, symbol)
        }
        // The biggest drawn first, so that a small incident next to a big one stays clickable.
        symbols = sized.sorted { $0.0 > $1.0 }.map(\.1)
        let drawn = incidents.count
        if ja {
            shown = total > drawn ? "表示範囲の\(total)件のうち最近の\(drawn)件を表示（拡大または絞り込みで残りを表示）" : "表示範囲の事案 \(total)件"
        } else {
            shown =
                total > drawn
                ? "\(drawn) most recently active of \(total) incidents in view (zoom in or filter to see the rest)"
                : "\(total) incident\(total == 1 ? "" : "s") in view"
        }

        func link(_ target: MapView, _ label: String, _ rel: String) -> Link {
            Link(href: "/map?" + QueryString.encode(filterPairs + target.pairs), label: label, rel: rel)
        }
        var navigation = [
            link(view.zoomed(1), ja ? "拡大 ＋" : "Zoom in +", "zoom-in"),
            link(view.zoomed(-1), ja ? "縮小 －" : "Zoom out −", "zoom-out"),
            link(view.panned(east: 0, north: 0.4), ja ? "↑ 北" : "↑ North", "north"),
            link(view.panned(east: 0, north: -0.4), ja ? "↓ 南" : "↓ South", "south"),
            link(view.panned(east: -0.4, north: 0), ja ? "← 西" : "← West", "west"),
            link(view.panned(east: 0.4, north: 0), ja ? "→ 東" : "→ East", "east"),
        ]
        navigation.append(
            Link(
                href: "/map?" + QueryString.encode(filterPairs.filter { $0.0 != "prefecture" }),
                label: ja ? "日本全体" : "All of Japan", rel: "home"))
        self.navigation = navigation
        scale = ScaleBar(pixelsPerDegree: view.pixelsPerDegree, width: MapView.width)
        legendKinds = IncidentKind.allCases.map {
            LegendItem(
                d: Self.shape($0, x: 9, y: 9, radius: 7), label: language.kind($0), kind: $0.rawValue, status: "legend")
        }
        legendStatuses = IncidentStatus.openSequence.map {
            LegendItem(
                d: Self.shape(.other, x: 9, y: 9, radius: 7), label: language.status($0), kind: "other",
                status: $0.rawValue)
        }
        table = ListPage.IncidentTable(
            items: incidents.prefix(ListQuery.pageSize).map {
                IncidentRow($0.0, photos: $0.1, language: language, now: now)
            })
        hasRows = !table.items.isEmpty
    }

    /// The symbol of a kind, centred on x, y: fire ▲, landslide ■, avian influenza ◆, flood ▼, other ●.
    static func shape(_ kind: IncidentKind, x: Double, y: Double, radius r: Double) -> String {
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        switch kind {
        case .fire:
            return "M\(f(x)) \(f(y - r))L\(f(x + r * 0.9)) \(f(y + r * 0.6))L\(f(x - r * 0.9)) \(f(y + r * 0.6))z"
        case .landslide:
            let s = r * 0.8
            return "M\(f(x - s)) \(f(y - s))h\(f(2 * s))v\(f(2 * s))h\(f(-2 * s))z"
        case .avianInfluenza:
            return "M\(f(x)) \(f(y - r))L\(f(x + r)) \(f(y))L\(f(x)) \(f(y + r))L\(f(x - r)) \(f(y))z"
        case .flood:
            return "M\(f(x)) \(f(y + r))L\(f(x + r * 0.9)) \(f(y - r * 0.6))L\(f(x - r * 0.9)) \(f(y - r * 0.6))z"
        case .other:
            let s = r * 0.85
            return "M\(f(x - s)) \(f(y))a\(f(s)) \(f(s)) 0 1 0 \(f(2 * s)) 0a\(f(s)) \(f(s)) 0 1 0 \(f(-2 * s)) 0z"
        }
    }
}
