import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiLoopback
import NoroshiServer
import NoroshiTesting
import Testing

/// `GET /metrics` through the real daemon, read by Prometheus's own Python parser (prometheus_client).
@Suite struct MetricsTests {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The exposition's samples, as prometheus_client parses them (a malformed exposition fails the parse).
    static func parse(_ text: String) throws -> [Sample] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let root = CAPTests.root
        let shell = CommandLineTool(home: directory.url, executable: URL(fileURLWithPath: "/bin/bash"))
        let setup = try shell.run([root.appendingPathComponent("scripts/prometheus-parser.sh").path])
        try #require(setup.status == 0, "scripts/prometheus-parser.sh failed: \(setup.errors)")
        let python = CommandLineTool(
            home: directory.url,
            executable: URL(fileURLWithPath: setup.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let parsed = try python.run([root.appendingPathComponent("scripts/prometheus-parse.py").path], input: text)
        try #require(parsed.status == 0, "prometheus_client could not parse the exposition: \(parsed.errors)\n\(text)")
        let samples = try #require(
            try JSONSerialization.jsonObject(with: Data(parsed.output.utf8)) as? [[String: Any]])
        return samples.map { sample in
            Sample(
                name: sample["name"] as? String ?? "", labels: sample["labels"] as? [String: String] ?? [:],
                value: (sample["value"] as? NSNumber)?.doubleValue ?? .nan)
        }
    }

    @Test func countsRequestsIntakeOutboxStreamsAndTheAuditHead() async throws {
        let room = try WebhookReceiver()
        room.otherwise(.respond(status: 500))
        let configure: (inout NoroshiConfiguration) -> Void = { configuration in
            configuration.chat.rooms = [
                RoomConfiguration(
                    name: "logo \"HQ\"",
                    connector: .webhook(url: room.url(), secret: Secret(value: "s", origin: "test"), sendImage: false))
            ]
        }
        try await TestServer.run(configure: configure) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            for index in 0..<3 {
                let sent = try await server.request(
                    "POST", "/v1/reports", token: field,
                    body:
                        #"{"client_key": "m\#(index)", "kind": "fire", "latitude": 36.1, "longitude": 137.2, "text": "Smoke"}"#
                )
                #expect(sent.status == 201)
            }
            #expect(try await server.request("GET", "/v1/incidents/F-1999-0001", token: hq).status == 404)
            #expect(try await server.request("GET", "/no/such/path", token: hq).status == 404)
            let stream = try EventStreamReader(port: server.port, headers: [("Authorization", "Bearer \(hq)")])
            defer { stream.cut() }
            #expect(await stream.waitForHead())

            #expect(try await server.request("GET", "/metrics").status == 401)
            #expect(try await server.request("GET", "/metrics", token: field).status == 403)
            let answer = try await server.request("GET", "/metrics", token: hq)
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let samples = try Self.parse(answer.text)
            func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
                samples.first { sample in
                    sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value }
                }?.value
            }
            let requests = "noroshi_http_requests_total"
            #expect(value(requests, ["route": "/v1/reports", "method": "POST", "status": "201"]) == 3)
            #expect(value(requests, ["route": "/v1/incidents/{ref}", "method": "GET", "status": "404"]) == 1)
            #expect(value(requests, ["route": "NotFound", "method": "GET", "status": "404"]) == 1)
            #expect(value(requests, ["route": "/metrics", "status": "401"]) == 1)
            #expect(value("noroshi_intake_duration_seconds_count") == 3)
            #expect(value("noroshi_intake_duration_seconds_bucket", ["le": "+Inf"]) == 3)
            #expect((value("noroshi_intake_duration_seconds_sum") ?? 0) > 0)
            #expect(value("noroshi_event_stream_clients") == 1)
            #expect(value("noroshi_audit_head_seq") == Double(try await server.store.auditSequence()))
            #expect(value("noroshi_photo_jobs") == 0)
            #expect(samples.contains { $0.name == "noroshi_outbox_messages" && $0.labels["room"] == "logo \"HQ\"" })
            #expect((value("process_start_time_seconds") ?? 0) > 1_700_000_000)
        }
    }
}
