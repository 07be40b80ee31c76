import Foundation
import NoroshiClient
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// The HTTP API end to end: the real daemon on port 0, real HTTP through the libcurl client, a real SQLite file.
@Suite struct APITests {
    static func report(
        key: String = UUID().uuidString,
        kind: String = "fire",
        latitude: Double = 36.2381,
        longitude: Double = 137.186,
        text: String = "Smoke from a barn roof",
        extra: String = ""
    ) -> String {
        """
        {"client_key": "\(key)", "kind": "\(kind)", "latitude": \(latitude), "longitude": \(longitude),
         "text": "\(text)", "unit": "Hida FD station 2"\(extra)}
        """
    }

    @Test func healthNeedsNoToken() async throws {
        try await TestServer.run { server in
            let response = try await server.request("GET", "/healthz")
            #expect(response.status == 200)
            let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            #expect(object?["status"] as? String == "ok", "\(response.text)")
            #expect((object?["disk_free_bytes"] as? Int ?? 0) > 0, "\(response.text)")
        }
    }

    @Test func fieldReportIsLinkedAndVisibleToHQ() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field, name: "Hida FD station 2")
            let hq = try await server.token(.hq)
            let first = try await server.request("POST", "/v1/reports", token: field, body: Self.report())
            #expect(first.status == 201)
            let receipt = try first.decode(ReportReceipt.self)
            #expect(receipt.openedIncident && receipt.created)
            #expect(receipt.report.submittedBy == "Hida FD station 2")

            let second = try await server.request(
                "POST", "/v1/reports", token: field, body: Self.report(latitude: 36.2385, longitude: 137.1866))
            #expect(try second.decode(ReportReceipt.self).incident.number == receipt.incident.number)

            let list = try await server.request("GET", "/v1/incidents", token: hq)
            let incidents = try list.decode(IncidentList.self).incidents
            #expect(incidents.map(\.number) == [receipt.incident.number])
            #expect(incidents.first?.reportCount == 2)

            for reference in [receipt.incident.number, String(receipt.incident.id)] {
                let shown = try await server.request("GET", "/v1/incidents/\(reference)", token: hq)
                let detail = try shown.decode(IncidentDetail.self)
                #expect(detail.reports.count == 2)
                #expect(detail.timeline.first?.actor == "Hida FD station 2")
            }
        }
    }

    @Test func retriesAreIdempotentAndKeyReuseIsAConflict() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let body = Self.report(key: "retry-1")
            let first = try await server.request("POST", "/v1/reports", token: field, body: body)
            // Same content, different whitespace and key order: still the same report.
            let reordered = """
                {"text":"Smoke from a barn roof","unit":"Hida FD station 2","kind":"fire",
                 "longitude":137.186,"latitude":36.2381,"client_key":"retry-1"}
                """
            let again = try await server.request("POST", "/v1/reports", token: field, body: reordered)
            #expect(first.status == 201)
            #expect(again.status == 200)
            #expect(try again.decode(ReportReceipt.self).report.id == first.decode(ReportReceipt.self).report.id)
            let clash = try await server.request(
                "POST", "/v1/reports", token: field, body: Self.report(key: "retry-1", text: "Something else"))
            #expect(clash.status == 409)
            #expect(clash.error?.code == "conflict")
            let incidents = try await server.store.incidents(IncidentFilter(state: .all))
            #expect(incidents.map(\.reportCount) == [1])
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var status: Int
        var code: String
        var message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(
            name: "malformed JSON", body: #"{"kind": "fire","#, status: 400, code: "malformed",
            message: "not valid JSON"),
        BadInput(name: "empty body", body: "", status: 400, code: "malformed", message: "empty"),
        BadInput(name: "JSON array", body: "[1,2]", status: 400, code: "malformed", message: "wrong type"),
        BadInput(
            name: "missing text", body: #"{"client_key":"a","kind":"fire","latitude":36,"longitude":137}"#, status: 400,
            code: "malformed", message: "Field 'text' is missing."),
        BadInput(
            name: "latitude as text", body: report(extra: "").replacingOccurrences(of: "36.2381", with: "\"36.2\""),
            status: 400, code: "malformed", message: "Field 'latitude' has the wrong type"),
        BadInput(
            name: "unknown kind", body: report(kind: "volcano"), status: 422, code: "invalid_input",
            message: "Unknown kind 'volcano'; use one of fire, landslide, avian_influenza, flood, other."),
        BadInput(
            name: "latitude over 90", body: report(latitude: 90.5), status: 422, code: "invalid_input",
            message: "Latitude 90.5 is out of range"),
        BadInput(
            name: "longitude under -180", body: report(longitude: -180.5), status: 422, code: "invalid_input",
            message: "Longitude -180.5 is out of range"),
        BadInput(
            name: "NaN", body: report().replacingOccurrences(of: "36.2381", with: "NaN"), status: 400,
            code: "malformed", message: "not valid JSON"),
        BadInput(
            name: "Infinity", body: report().replacingOccurrences(of: "36.2381", with: "1e999"), status: 400,
            code: "malformed", message: "not valid JSON"),
        BadInput(
            name: "text over the limit", body: report(text: String(repeating: "a", count: 4001)), status: 422,
            code: "invalid_input", message: "the limit is 4000"),
        BadInput(
            name: "observed far in the future", body: report(extra: #", "observed_at": "2099-01-01T00:00:00+09:00""#),
            status: 422, code: "invalid_input", message: "in the future"),
        BadInput(
            name: "unknown incident number", body: report(extra: #", "incident": "F-2026-0999""#), status: 404,
            code: "not_found", message: "Incident F-2026-0999 does not exist."),
        BadInput(
            name: "negative casualties", body: report(extra: #", "casualties": {"dead": -1}"#), status: 422,
            code: "invalid_input", message: "'dead' must be between"),
    ]

    @Test(arguments: badInputs)
    func badReportGetsAClearErrorAndStoresNothing(_ bad: BadInput) async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let good = try await server.request("POST", "/v1/reports", token: field, body: Self.report())
            #expect(good.status == 201)
            let response = try await server.request("POST", "/v1/reports", token: field, body: bad.body)
            #expect(response.status == bad.status)
            let error = try #require(response.error, "no error body: \(response.text)")
            #expect(error.code == bad.code)
            #expect(error.message.contains(bad.message), "\(error.message)")
            let incidents = try await server.store.incidents(IncidentFilter(state: .all))
            #expect(incidents.map(\.reportCount) == [1])
            #expect(try await server.request("GET", "/healthz").status == 200)
        }
    }

    @Test func oversizedBodyGets413AndStoresNothing() async throws {
        try await TestServer.run(
            configure: { $0.maxBodyBytes = 4096 },
            { server in
                let field = try await server.token(.field)
                let huge = Self.report(text: String(repeating: "x", count: 10_000))
                let response = try await server.request("POST", "/v1/reports", token: field, body: huge)
                #expect(response.status == 413)
                #expect(response.error?.code == "too_large")
                // Without a Content-Length the streamed body is cut off at the limit just the same.
                let chunked = try await server.request(
                    "POST", "/v1/reports", token: field, body: huge, headers: [("Transfer-Encoding", "chunked")])
                #expect(chunked.status == 413)
                #expect(try await server.store.incidents(IncidentFilter(state: .all)).isEmpty)
            })
    }

    @Test func tokensAreCheckedForPresenceValidityAndRole() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let missing = try await server.request("POST", "/v1/reports", body: Self.report())
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(missing.error?.message.contains("needs a bearer token") == true)
            let unknown = try await server.request("POST", "/v1/reports", token: "nrs_nope", body: Self.report())
            #expect(unknown.status == 401)
            #expect(unknown.error?.message == "The bearer token is unknown or has been revoked.")
            let basic = try await server.request(
                "GET", "/v1/incidents", headers: [("Authorization", "Basic dXNlcjpwYXNz")])
            #expect(basic.status == 401)
            let wrongRole = try await server.request("GET", "/v1/incidents", token: field)
            #expect(wrongRole.status == 403)
            #expect(wrongRole.error?.message.contains("has the field role; this needs the hq role") == true)
            let notAdmin = try await server.request("GET", "/v1/tokens", token: hq)
            #expect(notAdmin.status == 403)

            let id = try await server.store.tokens().first { $0.role == .field }!.id
            _ = try await server.store.revokeToken(id: id)
            let revoked = try await server.request("POST", "/v1/reports", token: field, body: Self.report())
            #expect(revoked.status == 401)
            #expect(try await server.store.incidents(IncidentFilter(state: .all)).isEmpty)
        }
    }

    @Test func adminManagesTokensOverTheAPI() async throws {
        try await TestServer.run { server in
            let admin = try await server.token(.admin)
            let created = try await server.request(
                "POST", "/v1/tokens", token: admin, body: #"{"name": "Chiba AI task force", "role": "hq"}"#)
            #expect(created.status == 201)
            let answer = try created.decode(CreatedToken.self)
            let session = try await server.request("GET", "/v1/session", token: answer.secret)
            #expect(try session.decode(TokenInfo.self).role == .hq)
            let list = try await server.request("GET", "/v1/tokens", token: admin)
            #expect(!list.text.contains(answer.secret))
            #expect(try list.decode(TokenList.self).tokens.count == 2)
            let revoked = try await server.request("DELETE", "/v1/tokens/\(answer.token.id)", token: admin)
            #expect(revoked.status == 200)
            #expect(try await server.request("GET", "/v1/session", token: answer.secret).status == 401)
            let badRole = try await server.request(
                "POST", "/v1/tokens", token: admin, body: #"{"name": "x", "role": "root"}"#)
            #expect(badRole.status == 422)
        }
    }

    @Test func statusChangesAndInvalidTransitions() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq, name: "Takayama HQ")
            let number = try await server.request("POST", "/v1/reports", token: field, body: Self.report())
                .decode(ReportReceipt.self).incident.number
            let path = "/v1/incidents/\(number)"
            let changed = try await server.request(
                "PATCH", path, token: hq, body: #"{"status": "responding", "severity": 3, "title": "Barn fire"}"#)
            #expect(changed.status == 200)
            let incident = try changed.decode(Incident.self)
            #expect(incident.status == .responding && incident.severity == 3 && incident.title == "Barn fire")
            let backwards = try await server.request("PATCH", path, token: hq, body: #"{"status": "reported"}"#)
            #expect(backwards.status == 422)
            #expect(
                backwards.error?.message
                    == "Incident \(number) cannot change from responding to reported; allowed: contained, closed, cancelled."
            )
            let unknown = try await server.request("PATCH", path, token: hq, body: #"{"status": "done"}"#)
            #expect(unknown.status == 422)
            let severity = try await server.request("PATCH", path, token: hq, body: #"{"severity": 9}"#)
            #expect(severity.status == 422)
            let missing = try await server.request(
                "PATCH", "/v1/incidents/F-2026-0999", token: hq, body: #"{"status": "closed"}"#)
            #expect(missing.status == 404)
            let detail = try await server.request("GET", path, token: hq).decode(IncidentDetail.self)
            #expect(detail.incident.status == .responding)
            #expect(detail.timeline.filter { $0.actor == "Takayama HQ" }.count == 3)
        }
    }

    @Test func linkUnlinkAndMergeOverTheAPI() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let a = try await server.request("POST", "/v1/reports", token: field, body: Self.report())
                .decode(ReportReceipt.self)
            let b = try await server.request(
                "POST", "/v1/reports", token: field, body: Self.report(latitude: 36.26)
            ).decode(ReportReceipt.self)
            #expect(a.incident.id != b.incident.id)

            let linked = try await server.request(
                "POST", "/v1/reports/\(b.report.id)/link", token: hq, body: #"{"incident": "\#(a.incident.number)"}"#)
            #expect(try linked.decode(Report.self).incidentNumber == a.incident.number)
            let unlinked = try await server.request("POST", "/v1/reports/\(b.report.id)/unlink", token: hq)
            let own = try unlinked.decode(Report.self).incidentNumber
            #expect(own != a.incident.number)

            let merged = try await server.request(
                "POST", "/v1/incidents/\(a.incident.number)/merge", token: hq, body: #"{"source": "\#(own)"}"#)
            #expect(try merged.decode(Incident.self).reportCount == 2)
            let old = try await server.request("GET", "/v1/incidents/\(own)", token: hq).decode(IncidentDetail.self)
            #expect(old.incident.number == a.incident.number)
            let again = try await server.request(
                "POST", "/v1/incidents/\(a.incident.number)/merge", token: hq, body: #"{"source": "\#(own)"}"#)
            #expect(again.status == 409)
            let noReport = try await server.request("POST", "/v1/reports/999/unlink", token: hq)
            #expect(noReport.status == 404)
        }
    }

    @Test func listFiltersAndRefusesUnknownParameters() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            _ = try await server.request("POST", "/v1/reports", token: field, body: Self.report())
            _ = try await server.request(
                "POST", "/v1/reports", token: field,
                body: Self.report(kind: "landslide", latitude: 36.1, longitude: 137.2))
            func numbers(_ query: String) async throws -> [IncidentKind] {
                let response = try await server.request("GET", "/v1/incidents" + query, token: hq)
                #expect(response.status == 200, "\(query): \(response.text)")
                return try response.decode(IncidentList.self).incidents.map(\.kind)
            }
            #expect(try await numbers("?kind=landslide") == [.landslide])
            #expect(try await numbers("?near=36.2381,137.186&radius_km=1") == [.fire])
            #expect(try await numbers("?state=closed").isEmpty)
            #expect(try await numbers("?exercise=true").isEmpty)
            #expect(try await numbers("?since=2099-01-01T00:00:00Z").isEmpty)
            #expect(try await numbers("?status=reported&limit=1").count == 1)
            for bad in ["?kind=volcano", "?state=maybe", "?near=100,0", "?radius_km=5", "?colour=red", "?since=today"] {
                let response = try await server.request("GET", "/v1/incidents" + bad, token: hq)
                #expect(response.status == 422, "\(bad)")
            }
        }
    }

    @Test func unknownRouteIsAJSONNotFound() async throws {
        try await TestServer.run { server in
            let response = try await server.request("GET", "/v1/nothing-here")
            #expect(response.status == 404)
            #expect(response.error?.code == "not_found")
        }
    }

    /// The API carries each incident's and report's area, and lists by prefecture.
    @Test func areasInTheAnswersAndAPrefectureFilter() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let sent = try await server.request("POST", "/v1/reports", token: field, body: Self.report())
            #expect(sent.status == 201)
            let receipt = try sent.decode(ReportReceipt.self)
            #expect(receipt.report.area?.code == "212172")
            #expect(
                sent.text.contains(
                    #""area":{"code":"212172","municipality":"飛騨市","municipality_en":"Hida City","prefecture":"岐阜県","prefecture_en":"Gifu"}"#
                ))
            let gifu = try await server.request("GET", "/v1/incidents?prefecture=gifu", token: hq)
            #expect(try gifu.decode(IncidentList.self).incidents.map(\.number) == [receipt.incident.number])
            let chiba = try await server.request("GET", "/v1/incidents?prefecture=12", token: hq)
            #expect(try chiba.decode(IncidentList.self).incidents.isEmpty)
            let bad = try await server.request("GET", "/v1/incidents?prefecture=Narnia", token: hq)
            #expect(bad.status == 422)
            #expect(bad.error?.message.hasPrefix("Unknown prefecture 'Narnia'") == true)
        }
    }
}
