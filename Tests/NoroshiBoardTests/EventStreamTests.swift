import Foundation
import NoroshiCore
import NoroshiStorage
import NoroshiTesting
import Testing

/// `GET /v1/events`: what the board's live updates ride on.
@Suite struct EventStreamTests {
    @Test func eventsArriveAndACutStreamResumesAfterItsLastEvent() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let stream = try EventStreamReader(port: server.port, headers: [("Authorization", "Bearer \(hq)")])
            // The stream is open before the first change.
            #expect(await stream.waitForHead())
            #expect(stream.head.hasPrefix("HTTP/1.1 200"))
            #expect(stream.head.lowercased().contains("content-type: text/event-stream"))

            let first = try await BoardTests.send(server, token: field, BoardTests.report())
            try await BoardTests.send(server, token: field, BoardTests.report(latitude: 36.1462))
            // Not a latency test (the browser test measures that): a loaded CI machine gets time.
            let seen = await stream.events(2, within: 20)
            #expect(seen.map(\.type) == ["incident.opened", "report.joined"])
            #expect(seen.allSatisfy { $0.data.contains(#""incident":"\#(first.incident.number)""#) })
            let lastSeen = try #require(seen.last?.id)
            stream.cut()

            // While nobody listens: a status change and a photo whose copies get made.
            _ = try await server.request(
                "PATCH", "/v1/incidents/\(first.incident.number)", token: hq, body: #"{"status": "confirmed"}"#)
            let upload = try await server.attachFixturePhoto("hida-fire.jpg", toReport: first.report.id, token: field)
            #expect(upload.status == 201)

            let resumed = try EventStreamReader(
                port: server.port, headers: [("Authorization", "Bearer \(hq)"), ("Last-Event-ID", lastSeen)])
            // The status change, the photo's timeline entries, then its copies being ready.
            var missed: [EventStreamReader.Event] = []
            let deadline = Date().addingTimeInterval(20)
            while missed.last?.type != "photo.ready", Date() < deadline { missed += await resumed.events(1, within: 1) }
            #expect(missed.first?.type == "incident.changed")
            #expect(missed.last?.type == "photo.ready")
            #expect(!missed.contains { $0.type == "incident.opened" || $0.type == "report.joined" })
            #expect(missed.compactMap { $0.id.flatMap(Int.init) }.allSatisfy { $0 > Int(lastSeen)! })
            #expect(missed.last?.data.contains(#""sha256":"#) == true)
        }
    }

    @Test(arguments: [
        StreamEvent(
            id: 7, at: Date(timeIntervalSince1970: 1_795_000_000.123), kind: .incidentOpened, incident: "F-2026-0001"),
        StreamEvent(
            id: 8, at: Date(), kind: .photoReady, incident: "XA-2026-0002", sha256: String(repeating: "ab", count: 32)),
        StreamEvent(id: 9, at: Date(), kind: .messageDead, incident: nil, outboxID: 41),
        StreamEvent(id: 10, at: Date(), kind: .reportJoined, incident: "L-2026-0003", reportID: 12),
    ])
    func framesCarryWhatTheJSONEncoderWouldWrite(event: StreamEvent) throws {
        let frame = event.frame
        #expect(frame.hasPrefix("id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: ") && frame.hasSuffix("\n\n"))
        let data = try #require(frame.split(separator: "\n").first { $0.hasPrefix("data: ") }?.dropFirst(6))
        let written = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder.noroshi().encode(event)) as? NSDictionary
        #expect(written == encoded)
    }

    @Test func streamsNeedHQAndAValidResumePoint() async throws {
        try await TestServer.run { server in
            let field = try await server.token(.field)
            #expect(try await server.request("GET", "/v1/events").status == 401)
            #expect(try await server.request("GET", "/v1/events", token: field).status == 403)
            let hq = try await server.token(.hq)
            let bad = try await server.request("GET", "/v1/events", token: hq, headers: [("Last-Event-ID", "x")])
            #expect(bad.status == 422)
        }
    }

    /// A hang here would be a daemon whose shutdown waits for streams that never end; the time limit only
    /// turns such a hang into a failure. Each stream must have been ended by the server: its response's last
    /// chunk arrived (the connection's close follows, but on a loaded CI machine a reader once waited 5 s for
    /// that close after the daemon had shut down, for a reason not found; the failure message now names whoever
    /// still holds the server's end).
    @Test(.timeLimit(.minutes(1))) func shutdownEndsOpenStreams() async throws {
        let readers = try await TestServer.run { server in
            let hq = try await server.token(.hq)
            let streams = try (0..<5).map { _ in
                try EventStreamReader(port: server.port, headers: [("Authorization", "Bearer \(hq)")])
            }
            for stream in streams { #expect(await stream.waitForHead()) }
            return streams
        }
        for reader in readers {
            _ = await reader.events(1, within: 5)
            #expect(reader.responseEnded || reader.ended, "\(reader.serverSideHolders())")
        }
    }
}
