import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer
import NoroshiTesting
import Testing

/// CSV and GeoJSON exports through the daemon, read back as Excel and a GIS would read them.
@Suite struct ExportTests {
    /// An RFC 4180 reader: quoted fields with doubled quotes, commas and line breaks inside; CRLF between rows.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text.unicodeScalars)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" {
                        field.unicodeScalars.append("\"")
                        characters.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\r" && characters.first == "\n" {
                characters.removeFirst()
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { rows.append(row + [field]) }
        return rows
    }

    /// A small store: a fire in Takayama with casualties and a hostile title, a landslide in Asahi with a text
    /// full of commas, quotes and a line break, a fire at sea, and a drill.
    static func seed(_ server: TestServer) async throws -> (hq: String, field: String, fire: ReportReceipt) {
        let field = try await server.token(.field)
        let hq = try await server.token(.hq)
        func send(_ body: String) async throws -> ReportReceipt {
            let response = try await server.request("POST", "/v1/reports", token: field, body: body)
            #expect(response.status == 201, "\(response.text)")
            return try response.decode(ReportReceipt.self)
        }
        let fire = try await send(
            #"{"client_key": "a", "kind": "fire", "latitude": 36.1461, "longitude": 137.2522, "text": "Barn fire", "casualties": {"injured": 2}}"#
        )
        _ = try await send(
            #"{"client_key": "b", "kind": "fire", "latitude": 36.1466, "longitude": 137.2530, "text": "Spreading", "unit": "=SUM(A1)"}"#
        )
        _ = try await server.request(
            "PATCH", "/v1/incidents/\(fire.incident.number)", token: hq, body: #"{"title": "=HYPERLINK(\"x\")"}"#)
        _ = try await send(
            #"{"client_key": "c", "kind": "landslide", "latitude": 35.7203, "longitude": 140.6466, "text": "Cliff, \"north\" side,\ngave way"}"#
        )
        _ = try await send(
            #"{"client_key": "d", "kind": "fire", "latitude": 34.0, "longitude": 137.0, "text": "Ship"}"#)
        _ = try await send(
            #"{"client_key": "e", "kind": "flood", "latitude": 35.0, "longitude": 136.9, "text": "Drill", "exercise": true}"#
        )
        return (hq, field, fire)
    }

    @Test func incidentsAsCSVForExcel() async throws {
        try await TestServer.run { server in
            let (hq, _, fire) = try await Self.seed(server)
            let response = try await server.request("GET", "/v1/incidents.csv", token: hq)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/csv; charset=utf-8")
            #expect(
                response.header("Content-Disposition")?.hasPrefix("attachment; filename=\"noroshi-incidents-") == true)
            #expect(Array(response.body.prefix(3)) == [0xEF, 0xBB, 0xBF])
            let text = String(decoding: response.body.dropFirst(3), as: UTF8.self)
            #expect(text.hasSuffix("\r\n"))
            #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
            let rows = Self.parseCSV(text)
            #expect(rows.first?.first == "事案番号")
            #expect(rows.count == 4, "\(rows)")  // header, three real incidents: the drill only when asked
            let header = rows[0]
            let row = try #require(rows.first { $0.first == fire.incident.number })
            func cell(_ name: String) -> String { row[header.firstIndex(of: name)!] }
            #expect(cell("件名") == "'=HYPERLINK(\"x\")")  // neutralised, and its quotes survived
            #expect(cell("都道府県") == "岐阜県" && cell("市区町村") == "高山市" && cell("全国地方公共団体コード") == "212032")
            #expect(cell("負傷者") == "2" && cell("死者") == "未確認" && cell("行方不明者") == "未確認")
            #expect(cell("種別") == "火災" && cell("報告数") == "2")
            #expect(cell("覚知(JST)") == Self.jst(fire.incident.openedAt))
            #expect(rows.allSatisfy { $0.count == header.count })

            let english = Self.parseCSV(
                String(
                    decoding: try await server.request("GET", "/v1/incidents.csv?lang=en", token: hq).body.dropFirst(3),
                    as: UTF8.self))
            #expect(english.first?.prefix(3) == ["number", "kind", "status"])
            #expect(english.contains { $0.contains("Takayama City") && $0.contains("unknown") })
            let drills = Self.parseCSV(
                String(
                    decoding: try await server.request("GET", "/v1/incidents.csv?exercise=true", token: hq).body
                        .dropFirst(3), as: UTF8.self))
            #expect(drills.count == 2 && drills[1][0].hasPrefix("XW-"))
            let gifu = Self.parseCSV(
                String(
                    decoding: try await server.request("GET", "/v1/incidents.csv?prefecture=gifu&kind=fire", token: hq)
                        .body.dropFirst(3), as: UTF8.self))
            #expect(gifu.count == 2 && gifu[1][0] == fire.incident.number)
        }
    }

    @Test func reportsAsCSVKeepEveryCharacter() async throws {
        try await TestServer.run { server in
            let (hq, _, _) = try await Self.seed(server)
            let response = try await server.request("GET", "/v1/reports.csv", token: hq)
            let rows = Self.parseCSV(String(decoding: response.body.dropFirst(3), as: UTF8.self))
            #expect(rows.count == 5)  // header and four real reports
            let texts = rows.dropFirst().map { $0[3] }
            #expect(texts.contains("Cliff, \"north\" side,\ngave way"))
            #expect(rows.contains { $0[4] == "'=SUM(A1)" })
            let limited = try await server.request("GET", "/v1/reports.csv?limit=2", token: hq)
            #expect(Self.parseCSV(String(decoding: limited.body.dropFirst(3), as: UTF8.self)).count == 3)
        }
    }

    @Test func geoJSONReadByGDAL() async throws {
        try await TestServer.run { server in
            let (hq, _, fire) = try await Self.seed(server)
            let incidents = try await server.request("GET", "/v1/incidents.geojson", token: hq)
            #expect(incidents.status == 200 && incidents.header("Content-Type") == "application/geo+json")
            let object = try #require(try JSONSerialization.jsonObject(with: incidents.body) as? [String: Any])
            #expect(object["type"] as? String == "FeatureCollection")
            let features = try #require(object["features"] as? [[String: Any]])
            #expect(features.count == 3)
            let first = try #require(features.first { $0["id"] as? String == fire.incident.number })
            let geometry = try #require(first["geometry"] as? [String: Any])
            #expect(geometry["type"] as? String == "Point")
            let coordinates = try #require(geometry["coordinates"] as? [Double])
            #expect(coordinates.count == 2 && coordinates[0] > 137 && coordinates[1] < 37)  // longitude first
            let bbox = try #require(first["bbox"] as? [Double])
            #expect(bbox == [137.2522, 36.1461, 137.253, 36.1466])
            let properties = try #require(first["properties"] as? [String: Any])
            #expect(properties["area_code"] as? String == "212032" && properties["injured"] as? Int == 2)
            #expect(properties["dead"] is NSNull)  // unknown is null, never 0
            #expect(properties["homes_destroyed"] is NSNull)

            let reports = try await server.request("GET", "/v1/reports.geojson?kind=landslide", token: hq)
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let gdal = CommandLineTool(home: directory.url, executable: URL(fileURLWithPath: "/usr/bin/ogrinfo"))
            guard FileManager.default.isExecutableFile(atPath: gdal.executable.path) else {
                Issue.record("ogrinfo is missing: scripts/install-deps.sh --tests installs gdal-bin")
                return
            }
            for (name, data, count) in [("incidents", incidents.body, 3), ("reports", reports.body, 1)] {
                let file = directory.url.appendingPathComponent("\(name).geojson")
                try data.write(to: file)
                let summary = try await gdal.runInBackground(["-ro", "-al", "-so", file.path])
                #expect(summary.status == 0, "\(summary.errors)")
                #expect(summary.output.contains("Feature Count: \(count)"), "\(summary.output)")
                #expect(summary.output.contains("Geometry: Point"), "\(summary.output)")
                #expect(summary.errors.isEmpty, "\(summary.errors)")
            }
            let full = try await gdal.runInBackground([
                "-ro", "-al", directory.url.appendingPathComponent("reports.geojson").path,
            ])
            #expect(full.output.contains("POINT (140.6466 35.7203)"), "\(full.output)")
            #expect(full.output.contains("municipality (String) = 旭市"), "\(full.output)")
        }
    }

    @Test func exportsKeepTheListsRoleAndRefuseBadFilters() async throws {
        try await TestServer.run { server in
            let (hq, field, _) = try await Self.seed(server)
            for path in ["/v1/incidents.csv", "/v1/reports.csv", "/v1/incidents.geojson", "/v1/reports.geojson"] {
                #expect(try await server.request("GET", path, token: field).status == 403, "\(path)")
                #expect(try await server.request("GET", path).status == 401, "\(path)")
            }
            let bad = try await server.request("GET", "/v1/incidents.csv?colour=red", token: hq)
            #expect(bad.status == 422 && bad.error?.message.contains("Unknown query parameter 'colour'") == true)
            #expect(try await server.request("GET", "/v1/reports.geojson?lang=fr", token: hq).status == 422)
        }
    }

    static func jst(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 9 * 3600)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
