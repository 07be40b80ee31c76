import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer
import NoroshiTesting
import Testing

/// `queued_seconds`: a report (or photo) that waited in a device's queue is dated when it was written.
@Suite struct TimeOfWritingTests {
    static func body(key: String, queued: String) -> String {
        #"{"client_key": "\#(key)", "kind": "landslide", "latitude": 36.2, "longitude": 137.1, "text": "Rocks on the road", "queued_seconds": \#(queued)}"#
    }

    @Test func aQueuedReportIsDatedWhenWrittenAndStaysOneReportWhenSentAgainLater() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await TestServer.run(clock: clock) { server in
            let field = try await server.token(.field)
            let first = try await server.request(
                "POST", "/v1/reports", token: field, body: Self.body(key: "q1", queued: "5400"))
            #expect(first.status == 201, "\(first.text)")
            let report = try first.decode(ReportReceipt.self).report
            #expect(report.observedAtSource == .device)
            #expect(report.observedAt == clock.now().addingTimeInterval(-5400))
            // The answer was lost; the device sends it again ten minutes later with the longer wait: the same report.
            clock.advance(by: 600)
            let again = try await server.request(
                "POST", "/v1/reports", token: field, body: Self.body(key: "q1", queued: "6000"))
            #expect(again.status == 200, "\(again.text)")
            #expect(try again.decode(ReportReceipt.self).report.observedAt == report.observedAt)

            // An explicit observed_at wins over the wait.
            let explicit =
                #"{"client_key": "q2", "kind": "fire", "latitude": 36.2, "longitude": 137.1, "text": "t", "#
                + #""observed_at": "2026-11-18T10:00:00+09:00", "queued_seconds": 60}"#
            let given = try await server.request("POST", "/v1/reports", token: field, body: explicit)
            #expect(try given.decode(ReportReceipt.self).report.observedAtSource == .sender)

            // A wait that cannot be one is refused and stores nothing.
            for bad in ["-1", "2592001", "\"an hour\""] {
                let refused = try await server.request(
                    "POST", "/v1/reports", token: field, body: Self.body(key: "bad\(bad.count)", queued: bad))
                #expect(refused.status == 422 || refused.status == 400, "\(bad): \(refused.text)")
                #expect(refused.error?.message.contains("queued_seconds") == true, "\(bad): \(refused.text)")
            }
            #expect(try await server.store.reportDetail(id: 2).report.clientKey == "q2")
            await #expect(throws: NoroshiError.self) { try await server.store.reportDetail(id: 3) }
        }
    }

    @Test func aQueuedPhotoIsDatedWhenItWasAddedOnTheDevice() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await TestServer.run(clock: clock) { server in
            let field = try await server.token(.field)
            let reportID = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 64, height: 48)
            var headers = [("Content-Type", "image/jpeg"), ("Authorization", "Bearer \(field)")]
            headers.append(("Noroshi-Queued-Seconds", "1800"))
            let plain = try await server.client.send(
                HTTPRequest(
                    method: "POST", url: server.baseURL + "/v1/reports/\(reportID)/photos", headers: headers,
                    body: photo))
            #expect(plain.status == 201, "\(plain.text)")
            let tus = ResumableUploadTests.Tus(server: server, token: field)
            let other = try TestPhotos.noisy(width: 64, height: 48, seed: 9)
            let metadata =
                "report_id \(Data(String(reportID).utf8).base64EncodedString()),queued_seconds \(Data("3600".utf8).base64EncodedString())"
            let dated = try await tus.send(
                "POST", "/v1/uploads", headers: [("Upload-Length", String(other.count)), ("Upload-Metadata", metadata)])
            let datedLocation = try #require(dated.header("Location"))
            #expect(try await tus.patch(datedLocation, offset: 0, other).status == 204)
            let incident = try await server.store.reportDetail(id: reportID).report.incidentNumber
            let detail = try await server.request(
                "GET", "/v1/incidents/\(incident)", token: try await server.token(.hq))
            let photos = try #require(
                (try JSONSerialization.jsonObject(with: detail.body) as? [String: Any])?["photos"] as? [[String: Any]])
            let added = Set(photos.compactMap { $0["added_at"] as? String })
            #expect(added.contains(RFC3339.string(from: clock.now().addingTimeInterval(-1800))), "\(added)")
            #expect(added.contains(RFC3339.string(from: clock.now().addingTimeInterval(-3600))), "\(added)")
        }
    }
}
