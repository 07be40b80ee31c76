import Foundation
import NoroshiClient
import NoroshiCore
import NoroshiServer
import NoroshiTesting
import Testing

/// Issue 17, item 3, in part: what is stored is what was sent. Control characters, repeated keys and
/// integers beyond 64 bits are refused with the error envelope, and nothing is stored.
@Suite struct StoredAsSentTests {
    static func body(_ fields: String) -> String {
        #"{"client_key": "\#(UUID())", "kind": "fire", "latitude": 36.2381, "longitude": 137.186, "#
            + fields + "}"
    }

    @Test func refusalsNameTheProblemAndStoreNothing() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            for (fields, status, message) in [
                (#""text": "abc\u0000def""#, 422, "Field 'text' holds a NUL character (U+0000) at character 4"),
                (#""text": "ok", "place": "a\u001b[2J""#, 422, "Field 'place' holds a control character (U+001B)"),
                (#""text": "line\r\nbreak""#, 422, #"a carriage return (U+000D) at character 5"#),
                (#""text": "x", "unit": "\u0085""#, 422, "Field 'unit' holds a control character (U+0085)"),
                (
                    #""text": "one", "text": "two""#, 400,
                    "The JSON object gives the key 'text' twice; send each key once."
                ),
                (
                    #""text": "t", "casualties": {"dead": 1, "dead": 2}"#, 400,
                    "The JSON object 'casualties' gives the key 'dead' twice"
                ),
                (
                    #""text": "t", "casualties": {"dead": 9223372036854775808}"#, 422,
                    "Field 'casualties.dead' holds a whole number beyond ±9223372036854775807"
                ),
            ] {
                let response = try await server.request("POST", "/v1/reports", token: field, body: Self.body(fields))
                #expect(response.status == status, "\(fields): \(response.text)")
                #expect(response.error?.message.contains(message) == true, "\(fields): \(response.text)")
            }
            let list = try await server.request("GET", "/v1/incidents?state=all", token: hq).decode(IncidentList.self)
            #expect(list.incidents.isEmpty)

            // Tabs and line breaks are text; the same key in two objects is not a repeat. Stored as sent.
            let text = "line one\nline two\tcolumn"
            let accepted = try await server.request(
                "POST", "/v1/reports", token: field,
                body: Self.body(
                    #""text": "line one\nline two\tcolumn", "casualties": {"dead": 0}, "homes": {"destroyed": 0}"#))
            #expect(accepted.status == 201, "\(accepted.text)")
            let receipt = try accepted.decode(ReportReceipt.self)
            let stored = try await server.request("GET", "/v1/reports/\(receipt.report.id)", token: hq).text
            #expect(stored.contains(#""text":"line one\nline two\tcolumn""#), "\(stored)")
            #expect(try await server.store.report(id: receipt.report.id).text == text)

            let title = try await server.request(
                "PATCH", "/v1/incidents/\(receipt.incident.number)", token: hq, body: #"{"title": "Barn\u0000fire"}"#)
            #expect(title.status == 422 && title.error?.message.contains("Field 'title' holds a NUL") == true)
            let situation = try await server.request(
                "POST", "/v1/incidents/\(receipt.incident.number)/sokuho", token: hq,
                body: #"{"situation": "a\u0007b"}"#)
            #expect(situation.status == 422)
            #expect(try await server.store.incident(receipt.incident.number).title == receipt.incident.title)
        }
    }
}
