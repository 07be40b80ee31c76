import Foundation
import NoroshiCore
import NoroshiTesting
import Testing

/// The map and places through the real daemon on port 0.
@Suite struct MapTests {
    @Test func theMapDrawsWhatTheFiltersChooseForWhoeverMaySeeIt() async throws {
        try await TestServer.run { server in
            let crew = try await server.token(.field, name: "Takayama crew")
            let other = try await server.token(.field, name: "Asahi crew")
            let hq = try await server.token(.hq)
            let takayama = try await BoardTests.send(server, token: crew, BoardTests.report(text: "Barn fire"))
            let asahi = try await BoardTests.send(
                server, token: other,
                BoardTests.report(kind: "landslide", latitude: 35.7203, longitude: 140.6466, text: "Cliff gave way"))
            let sea = try await BoardTests.send(
                server, token: other, BoardTests.report(latitude: 34.0, longitude: 137.0, text: "Fire on a ship"))

            let anonymous = BoardClient(server: server)
            let refused = try await anonymous.get("/map")
            #expect(refused.status == 303 && refused.header("Location")?.hasPrefix("/login?next=") == true)

            let desk = BoardClient(server: server)
            desk.language = "ja"
            try await desk.signIn(token: hq)
            let map = try await desk.get("/map")
            #expect(map.status == 200)
            #expect(map.header("Content-Security-Policy")?.hasPrefix("default-src 'self'") == true)
            for receipt in [takayama, asahi, sea] {
                #expect(map.text.contains("<a href=\"/incidents/\(receipt.incident.number)\"><path class=\"sym"))
            }
            #expect(map.text.contains("表示範囲の事案 3件"))
            #expect(map.text.contains("data-live-part=\"map\"") && map.text.contains("data-live=\"1\""))
            // No page names another host (inline SVG needs no namespace URL either).
            #expect(!map.text.contains("http://") && !map.text.contains("https://"))

            // The board's filters apply to the map: kind, and the prefecture (Chiba, by name).
            let slides = try await desk.get("/map?kind=landslide")
            #expect(slides.text.contains(asahi.incident.number) && !slides.text.contains(takayama.incident.number))
            let chiba = try await desk.get("/map?prefecture=%E5%8D%83%E8%91%89%E7%9C%8C")
            #expect(chiba.text.contains("地図 — 千葉県"))
            #expect(chiba.text.contains(asahi.incident.number) && !chiba.text.contains(takayama.incident.number))
            #expect(chiba.text.contains("<title>旭市</title>"))
            // A view over Hokkaido shows none of them.
            let hokkaido = try await desk.get("/map?x=142.8&y=43.4&z=4")
            #expect(hokkaido.text.contains("表示範囲の事案 0件"))

            // The board's list: places, and the prefecture filter.
            let board = try await desk.get("/")
            #expect(board.text.contains("岐阜県高山市") && board.text.contains("千葉県旭市"))
            #expect(board.text.contains("海上または国外"))
            #expect(board.text.contains("高山市の火災") && board.text.contains("海上・国外の火災"))
            let gifu = try await desk.get("/?prefecture=21")
            #expect(gifu.text.contains("1件中 1–1件") && gifu.text.contains(takayama.incident.number))
            desk.language = "en"
            let english = try await desk.get("/")
            #expect(english.text.contains("Takayama City, Gifu") && english.text.contains("Fire in Takayama City"))
            let page = try await desk.get("/incidents/\(takayama.incident.number)")
            #expect(page.text.contains("Takayama City, Gifu") && page.text.contains("212032"))

            let bad = try await desk.get("/map?x=10&y=35&z=3")
            #expect(bad.status == 422)
            #expect(bad.text.contains("x must lie between 120 and 155"))
            #expect(try await desk.get("/?prefecture=99").status == 422)

            // A field sign-in sees its own incidents only, here too.
            let field = BoardClient(server: server)
            field.language = "ja"
            try await field.signIn(token: crew)
            let fieldMap = try await field.get("/map")
            #expect(fieldMap.status == 200)
            #expect(fieldMap.text.contains(takayama.incident.number) && !fieldMap.text.contains(asahi.incident.number))
            #expect(!fieldMap.text.contains("data-live=\"1\""))
        }
    }

    /// Everything a first visit to the map loads, as the browser would fetch it.
    @Test func aFirstVisitToTheMapIsLight() async throws {
        try await TestServer.run { server in
            let hq = try await server.token(.hq)
            let desk = BoardClient(server: server)
            try await desk.signIn(token: hq)
            let map = try await desk.get("/map")
            var bytes = map.body.count
            for asset in ["board.css", "board.js", "map.js", "icon.svg"] {
                let response = try await desk.get("/assets/" + asset)
                #expect(response.status == 200, "\(asset)")
                bytes += response.body.count
            }
            #expect(bytes < 300_000, "\(bytes) bytes")
            print("Map: a first visit loads \(bytes) bytes")
        }
    }
}
