import Foundation
import NoroshiBoard
import NoroshiCore
import Testing

/// The templates render what they are given, escaped, in both languages.
@Suite struct BoardRenderingTests {
    @Test func loginPageRendersInBothLanguages() throws {
        let board = try Board()
        let ja = board.render(LoginPage(language: .japanese))
        #expect(ja.contains("<html lang=\"ja\">"))
        #expect(ja.contains("サインイン"))
        let en = board.render(LoginPage(language: .english, error: "<b>bad</b>"))
        #expect(en.contains("Sign in"))
        #expect(en.contains("&lt;b&gt;bad&lt;/b&gt;"))
        #expect(!en.contains("<b>bad</b>"))
    }
}

/// The map as the server draws it, without a daemon: outlines, symbols, links, weight.
@Suite struct MapRenderingTests {
    static let viewer = Viewer(name: "HQ", role: .hq, csrf: "c")

    static func incident(_ number: String, kind: IncidentKind, at point: (Double, Double), reports: Int = 1) throws
        -> Incident
    {
        var incident = Incident(
            id: 1, number: number, kind: kind, title: "<script>alert(1)</script>", status: .responding, severity: 3,
            exercise: false, centre: try GeoPoint(latitude: point.0, longitude: point.1), extent: nil, place: nil,
            reportCount: reports, casualties: Casualties(), openedAt: Date(), updatedAt: Date(),
            lastActivityAt: Date(), closedAt: nil, mergedInto: nil)
        incident.area = Area(
            code: "212032", prefecture: "岐阜県", municipality: "高山市", prefectureEnglish: "Gifu",
            municipalityEnglish: "Takayama City")
        return incident
    }

    @Test func allOfJapanWithItsPrefecturesAndTheIncidents() throws {
        let board = try Board()
        let fire = try Self.incident("F-2026-0001", kind: .fire, at: (36.1461, 137.2522), reports: 9)
        let slide = try Self.incident("L-2026-0001", kind: .landslide, at: (35.7203, 140.6466))
        let page = MapPage(
            language: .japanese, viewer: Self.viewer, query: MapQuery(), view: .home,
            incidents: [(fire, 2), (slide, 0)], total: 2, now: Date())
        let html = board.render(page)
        #expect(html.components(separatedBy: "<path class=\"prefecture").count - 1 == 47)
        #expect(!html.contains("class=\"municipality\""))
        #expect(html.contains("<a href=\"/incidents/F-2026-0001\"><path class=\"sym kind-fire status-responding\""))
        #expect(
            html.contains("<a href=\"/incidents/L-2026-0001\"><path class=\"sym kind-landslide status-responding\""))
        // Typed text is escaped inside the SVG too.
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert"))
        // Each prefecture links to the map of it; the view moves by links.
        #expect(html.contains("href=\"/map?prefecture=21\""))
        #expect(html.contains("data-map=\"zoom-in\""))
        #expect(html.contains("/map?x=134.5000&amp;y=34.8000&amp;z=2"))
        #expect(html.contains("出典:気象庁"))
        #expect(
            !html.contains(">nil<") && !html.contains("— nil"),
            "\(html.components(separatedBy: "nil").first!.suffix(200))")
        // The default view, outlines and all, stays small.
        #expect(html.utf8.count < 150_000, "\(html.utf8.count) bytes")
        // The bigger incident (more reports) is drawn first, under the smaller one.
        let firePosition = try #require(html.range(of: "kind-fire status"))
        let slidePosition = try #require(html.range(of: "kind-landslide status"))
        #expect(firePosition.lowerBound < slidePosition.lowerBound)
    }

    @Test func aChosenPrefectureShowsItsMunicipalities() throws {
        let board = try Board()
        let query = try MapQuery.parse([("prefecture", "gifu"), ("kind", "fire")])
        #expect(query.list.prefecture == 21)
        let view = query.resolvedView
        // The view fits Gifu: Takayama (north) and Gifu city (south) are both inside.
        #expect(view.box.minLatitude < 35.42 && view.box.maxLatitude > 36.15)
        #expect(view.zoom > 3)
        let page = MapPage(
            language: .english, viewer: Self.viewer, query: query, view: view, incidents: [], total: 0, now: Date())
        let html = board.render(page)
        let municipalities = html.components(separatedBy: "class=\"municipality\"").count - 1
        #expect(municipalities >= 42, "\(municipalities)")
        #expect(html.contains("<title>Takayama City</title>"))
        #expect(html.contains("class=\"prefecture chosen\""))
        #expect(html.contains("0 incidents in view"))
        // Links keep the filters.
        #expect(html.contains("kind=fire&amp;prefecture=21&amp;x="))
    }

    @Test(arguments: [
        ([("x", "200"), ("y", "35"), ("z", "3")], "x must lie between 120 and 155"),
        ([("x", "137"), ("y", "35")], "x (longitude), y (latitude) and z together"),
        ([("x", "137"), ("y", "35"), ("z", "12")], "'z' (zoom) must be 1 to 10"),
        ([("x", "abc"), ("y", "35"), ("z", "3")], "'x' must be a number"),
        ([("prefecture", "Atlantis")], "Unknown prefecture 'Atlantis'"),
    ])
    func badViewsAreRefused(parameters: [(String, String)], message: String) {
        #expect {
            _ = try MapQuery.parse(parameters)
        } throws: { error in
            (error as? NoroshiError)?.message.contains(message) == true
        }
    }

    @Test func theViewMovesAndZooms() {
        let home = MapView.home
        let box = home.box
        #expect(box.minLatitude < 24.3 && box.maxLatitude > 45.5)  // Ishigaki to Wakkanai
        #expect(box.minLongitude < 123.0 && box.maxLongitude > 145.8)  // Yonaguni to Nemuro
        let zoomed = MapView(longitude: 137, latitude: 36, zoom: 5)
        #expect(zoomed.box.maxLatitude - zoomed.box.minLatitude < (box.maxLatitude - box.minLatitude) / 15)
        #expect(MapView(longitude: 137, latitude: 36, zoom: 99).zoom == 10)
    }
}

/// A value left out is rendered as nothing: no "nil" on any page (regression: the flattened pages once
/// showed "nil" for every absent error, notice and place).
@Suite struct AbsentValueTests {
    @Test func noPageSaysNil() throws {
        let board = try Board()
        let viewer = Viewer(name: "HQ", role: .hq, csrf: "c")
        var incident = try MapRenderingTests.incident("F-2026-0001", kind: .fire, at: (36.1461, 137.2522))
        incident.area = nil
        let detail = IncidentDetail(incident: incident, reports: [], timeline: [], mergedFrom: [])
        let pages = [
            board.render(IncidentPage(language: .japanese, viewer: viewer, detail: detail, now: Date())),
            board.render(
                ListPage(
                    language: .english, viewer: viewer, query: ListQuery(), incidents: [(incident, 0)], total: 1,
                    unlocated: [], now: Date())),
            board.render(
                MapPage(
                    language: .japanese, viewer: viewer, query: MapQuery(), view: .home, incidents: [], total: 0,
                    now: Date())),
            board.render(LoginPage(language: .japanese)),
        ]
        for html in pages {
            #expect(!html.contains("nil"), "\(html.components(separatedBy: "nil").first!.suffix(300))")
        }
        #expect(!pages[0].contains("class=\"error\""))
        #expect(!pages[0].contains("class=\"notice\""))
        #expect(pages[0].contains("海上または国外"))
    }
}
