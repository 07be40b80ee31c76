import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer
import NoroshiTesting
import Testing

/// 即報 through the real daemon: the API, roles, the board's button with its confirmation, the printable
/// form, and the 30-minute rule on the incident's answers.
@Suite struct SokuhoBoardTests {
    @Test func issueListAndPrintThroughTheAPIAndTheBoard() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field, name: "Hida FD 2")
            let hq = try await server.token(.hq, name: "高山市 防災課")
            let sent = try await server.request(
                "POST", "/v1/reports", token: field,
                body: BoardTests.report(
                    text: "上岡本町で住宅火災、延焼中", extra: #", "casualties": {"injured": 2, "severely_injured": 1}"#))
            #expect(sent.status == 201, "\(sent.text)")
            let number = try sent.decode(ReportReceipt.self).incident.number
            let path = "/v1/incidents/\(number)/sokuho"

            // Before any 報: the incident says when 第1報 is due.
            let before = try await server.request("GET", "/v1/incidents/\(number)", token: hq)
                .decode(IncidentDetail.self)
            #expect(before.incident.sokuho?.count == 0 && before.incident.sokuho?.firstIssuedAt == nil)
            #expect(before.minutesSinceKakuchi == 0)

            // Field tokens may not issue or read them.
            #expect(try await server.request("POST", path, token: field, body: "{}").status == 403)
            #expect(try await server.request("GET", path, token: field).status == 403)
            let tooLong = try await server.request(
                "POST", path, token: hq, body: #"{"situation": "\#(String(repeating: "x", count: 4001))"}"#)
            #expect(tooLong.status == 422)
            #expect(try await server.request("POST", path, token: hq, body: #"{"as_of": "soon"}"#).status == 422)

            let issued = try await server.request("POST", path, token: hq, body: "{}")
            #expect(issued.status == 201, "\(issued.text)")
            let first = try issued.decode(Sokuho.self)
            #expect(first.sequence == 1 && first.reporter == "高山市 防災課")
            #expect(first.situation.hasSuffix("Hida FD 2: 上岡本町で住宅火災、延焼中"))
            #expect(try await server.request("GET", "\(path)/1", token: hq).decode(Sokuho.self) == first)
            #expect(try await server.request("GET", "\(path)/2", token: hq).status == 404)

            let after = try await server.request("GET", "/v1/incidents/\(number)", token: hq)
                .decode(IncidentDetail.self)
            #expect(after.incident.sokuho?.count == 1 && after.incident.sokuho?.firstIssuedAt == first.issuedAt)

            // The board: the button drafts, asks for confirmation, issues 第2報 and shows its form.
            let board = BoardClient(server: server)
            board.language = "ja"
            _ = try await board.signIn(token: hq)
            let page = try await board.get("/incidents/\(number)")
            #expect(page.text.contains("第2報 を発出"))
            #expect(page.text.contains("第1報まで発出"))
            let csrf = try #require(BoardClient.csrf(in: page.text))
            let ask = try await board.post(
                "/incidents/\(number)/sokuho", form: ["situation": "延焼中。\r\n負傷者2名搬送。", "csrf": csrf])
            #expect(ask.status == 200 && ask.text.contains("第2報を発出しますか"))
            #expect(ask.text.contains("延焼中。\n負傷者2名搬送。"))
            #expect(try await server.request("GET", path, token: hq).decode(SokuhoList.self).sokuho.count == 1)
            let done = try await board.post(
                "/incidents/\(number)/sokuho",
                form: ["situation": "延焼中。\n負傷者2名搬送。", "confirm": "1", "csrf": csrf])
            #expect(done.status == 303)
            #expect(done.header("Location") == "/incidents/\(number)/sokuho/2")
            let list = try await server.request("GET", path, token: hq).decode(SokuhoList.self)
            #expect(list.sokuho.map(\.sequence) == [1, 2] && list.nextSequence == 3)
            #expect(list.sokuho[1].situation == "延焼中。\n負傷者2名搬送。")
            #expect(list.sokuho[0] == first)  // 第1報 is as it was issued

            let printable = try await board.get("/incidents/\(number)/sokuho/2")
            #expect(printable.status == 200)
            for text in [
                "第1号様式", "火災等即報", "（第2報）", "岐阜県", "高山市", "報告者名", "高山市 防災課", "延焼中。<br>負傷者2名搬送。",
                "<td class=\"n\">未確認</td>", "<td class=\"n\">2 人</td>", "/assets/sokuho.css",
            ] {
                #expect(printable.text.contains(text), "\(text)")
            }
            // The fire form's words for a fire; 第4号様式 with 住家被害 for other kinds.
            #expect(printable.text.contains("出火場所") && !printable.text.contains("住家被害"))
            let slide = try await server.request(
                "POST", "/v1/reports", token: field,
                body: BoardTests.report(
                    kind: "landslide", latitude: 36.3, longitude: 137.3, text: "土砂崩れ",
                    extra: #", "homes": {"destroyed": 1}"#)
            ).decode(ReportReceipt.self).incident.number
            #expect(
                try await server.request("POST", "/v1/incidents/\(slide)/sokuho", token: hq, body: "{}").status == 201)
            let form4 = try await board.get("/incidents/\(slide)/sokuho/1").text
            #expect(form4.contains("第4号様式（その1）") && form4.contains("災害概況即報") && form4.contains("発生場所"))
            #expect(form4.contains("<th>全壊</th>") && form4.contains("<td class=\"n\">1 棟</td>"))
            // A bearer token reads the same page (what 'noroshi sokuho show --html' saves); a field token may not.
            let bearer = try await server.request("GET", "/incidents/\(number)/sokuho/2", token: hq)
            #expect(bearer.status == 200 && bearer.text == printable.text)
            #expect(try await server.request("GET", "/incidents/\(number)/sokuho/2", token: field).status == 403)
            #expect(try await board.get("/assets/sokuho.css").status == 200)
        }
    }
}
