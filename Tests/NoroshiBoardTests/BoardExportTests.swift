import Foundation
import NoroshiCore
import NoroshiServer
import NoroshiTesting
import Testing

/// The board's export buttons: exactly what the filters show, for what the session may see.
@Suite struct BoardExportTests {
    @Test func theButtonsExportWhatTheFiltersShowAndNothingHidden() async throws {
        try await TestServer.run { server in
            let crew = try await server.token(.field, name: "Hida FD 2")
            let other = try await server.token(.field, name: "Gero FD 1")
            let hq = try await server.token(.hq)
            _ = try await BoardTests.send(server, token: crew, BoardTests.report(text: "納屋の火災"))
            _ = try await BoardTests.send(
                server, token: crew,
                BoardTests.report(kind: "landslide", latitude: 36.3, longitude: 137.3, text: "土砂崩れ"))
            _ = try await BoardTests.send(
                server, token: other, BoardTests.report(kind: "landslide", latitude: nil, text: "国道で落石"))
            _ = try await BoardTests.send(
                server, token: other,
                BoardTests.report(
                    kind: "fire", latitude: 34.0, longitude: 134.0, text: "drill", extra: #", "exercise": true"#))

            let board = BoardClient(server: server)
            board.language = "ja"
            _ = try await board.signIn(token: hq)
            let list = try await board.get("/?kind=landslide")
            #expect(list.text.contains(#"href="/export/incidents.csv?kind=landslide""#), "\(list.text)")
            let csv = try await board.get("/export/incidents.csv?kind=landslide")
            #expect(csv.status == 200 && csv.header("Content-Type") == "text/csv; charset=utf-8")
            #expect(csv.header("Content-Disposition")?.hasPrefix("attachment; filename=\"noroshi-incidents-") == true)
            let lines = csv.text.dropFirst().components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.count == 3, "\(csv.text)")  // the header, the located and the unlocated landslide
            #expect(lines[0].hasPrefix("事案番号,種別"))
            #expect(lines.dropFirst().allSatisfy { $0.contains(",土砂災害,") }, "\(lines)")
            // The text search applies too, and the drill stays out of the real board's export.
            let searched = try await board.get("/export/reports.csv?q=%E8%90%BD%E7%9F%B3").text  // 落石
            #expect(searched.contains("国道で落石") && !searched.contains("土砂崩れ") && !searched.contains("drill"))
            let geojson = try await board.get("/export/incidents.geojson")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(geojson.text.utf8)) as? [String: Any])
            #expect((object["features"] as? [Any])?.count == 3)
            #expect(try await board.get("/export/everything.xlsx").status == 404)

            // A field sign-in exports its own incidents only.
            let field = BoardClient(server: server)
            _ = try await field.signIn(token: crew)
            let own = try await field.get("/export/incidents.csv?lang=en").text
            let rows = own.dropFirst().components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(rows.count == 3 && !own.contains("落石"), "\(own)")  // header, its fire and its landslide
            // Without a session: to the sign-in page.
            let anonymous = try await BoardClient(server: server).get("/export/incidents.csv")
            #expect(anonymous.status == 303)
        }
    }
}
