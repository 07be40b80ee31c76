import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer
import NoroshiTesting
import Testing

/// 重傷・軽傷, 住家被害 and the 災害対策本部 設置状況 through the real daemon: intake, HQ's PATCH, the board and the
/// CSV, with an unknown count never shown as 0.
@Suite struct DamageCountAPITests {
    @Test func countsGoInThroughTheAPIAndComeOutAsUnknownOrKnown() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field, name: "Hida FD")
            let hq = try await server.token(.hq, name: "Takayama HQ")
            let sent = try await server.request(
                "POST", "/v1/reports", token: field,
                body: APITests.report(
                    kind: "flood", text: "Water above the floor",
                    extra:
                        #", "casualties": {"injured": 2, "severely_injured": 1}, "homes": {"flooded_above_floor": 4}"#
                ))
            #expect(sent.status == 201, "\(sent.text)")
            let receipt = try sent.decode(ReportReceipt.self)
            #expect(receipt.report.homes.floodedAboveFloor == 4)
            let number = receipt.incident.number
            let path = "/v1/incidents/\(number)"

            // Bad counts are refused with a message and change nothing.
            for body in [
                #"{"homes": {"destroyed": -1}}"#, #"{"casualties": {"slightly_injured": 1000001}}"#,
                #"{"headquarters": {"level": "huge"}}"#,
                #"{"headquarters": {"level": "alert", "since": "yesterday"}}"#,
            ] {
                let refused = try await server.request("PATCH", path, token: hq, body: body)
                #expect(refused.status == 422, "\(body)")
                #expect(refused.error?.message.isEmpty == false)
            }
            let bad = try await server.request(
                "POST", "/v1/reports", token: field, body: APITests.report(extra: #", "homes": {"destroyed": -3}"#))
            #expect(bad.status == 422)
            #expect(bad.error?.message == "Home damage count 'destroyed' must be between 0 and 1000000.")

            let unchanged = try await server.request("GET", path, token: hq).decode(IncidentDetail.self)
            #expect(unchanged.incident.homes == HomeDamage(floodedAboveFloor: 4))
            #expect(unchanged.incident.headquarters == nil)
            #expect(unchanged.incident.reportCount == 1)

            let changed = try await server.request(
                "PATCH", path, token: hq,
                body: #"""
                    {"casualties": {"dead": 0}, "homes": {"destroyed": 1},
                     "headquarters": {"level": "alert", "since": "2026-11-21T14:30:00+09:00"}}
                    """#)
            #expect(changed.status == 200, "\(changed.text)")
            let incident = try changed.decode(Incident.self)
            #expect(incident.casualties == Casualties(dead: 0, injured: 2, severelyInjured: 1))
            #expect(incident.homes == HomeDamage(destroyed: 1, floodedAboveFloor: 4))
            #expect(incident.headquarters?.level == .alert)
            // The JSON leaves unknown counts out, never writes them as 0.
            let json = try #require(try JSONSerialization.jsonObject(with: Data(changed.text.utf8)) as? [String: Any])
            let casualties = try #require(json["casualties"] as? [String: Int])
            #expect(casualties == ["dead": 0, "injured": 2, "severely_injured": 1])
            #expect((json["headquarters"] as? [String: String])?["since"] == "2026-11-21T05:30:00.000Z")

            let board = BoardClient(server: server)
            board.language = "ja"
            _ = try await board.signIn(token: hq)
            let page = try await board.get("/incidents/\(number)").text
            #expect(page.contains("死者 0・行方不明者 未確認・負傷者 2（重傷 1・軽傷 未確認）"))
            #expect(page.contains("全壊 1・半壊 未確認・一部破損 未確認・床上浸水 4・床下浸水 未確認"))
            #expect(page.contains("災害警戒本部（2026-11-21 14:30 JST〜）"))

            let csv = try await server.request("GET", "/v1/incidents.csv", token: hq).text
            let rows = csv.dropFirst().components(separatedBy: "\r\n")
            let header = rows[0].components(separatedBy: ",")
            let values = rows[1].components(separatedBy: ",")
            func cell(_ name: String) -> String? { header.firstIndex(of: name).map { values[$0] } }
            #expect(cell("死者") == "0" && cell("行方不明者") == "未確認" && cell("重傷") == "1")
            #expect(cell("住家全壊(棟)") == "1" && cell("住家半壊(棟)") == "未確認")
            #expect(cell("災害対策本部等") == "災害警戒本部 2026-11-21 14:30:00")
        }
    }
}
