import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiServer
import NoroshiTesting
import Testing

@testable import NoroshiDrill

/// `noroshi drill run`, the built binary: reports on disk, the exit status, and a live run against a real daemon.
@Suite struct DrillCommandRunTests {
    @Test func aFailingDrillWritesItsReportsAndExitsWithOne() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
        let playbook = root.url.appendingPathComponent("never-closes.yaml")
        try DrillRunTests.wrong.write(to: playbook, atomically: true, encoding: .utf8)
        let out = root.url.appendingPathComponent("reports")

        let result = try await tool.runInBackground(["drill", "run", playbook.path, "--out", out.path, "--quiet"])
        #expect(result.status == 1, "\(result.errors)")
        #expect(result.output.contains("FAIL: A fire HQ never closes — 1 of 4 expectations held"))
        #expect(
            result.output.contains(
                "FAIL line 10: at the end: the incident of smoke is closed — XF-2026-0001 is responding"))
        let markdown = try String(contentsOf: out.appendingPathComponent("never-closes.md"), encoding: .utf8)
        // Times in the report are Japan Standard Time, like everywhere else.
        #expect(markdown.contains("+09:00 (JST)"))
        #expect(
            markdown.contains(
                "| 10 | at the end: the incident of smoke is closed | **FAIL** | XF-2026-0001 is responding |"))
        let json = try AfterActionReport.decode(Data(contentsOf: out.appendingPathComponent("never-closes.json")))
        #expect(!json.passed && json.expectations.count == 4 && json.reports.map(\.key) == ["smoke"])

        let shipped = PlaybookTests.playbooks.appendingPathComponent("hida-landslide-road.yaml").path
        let passing = try await tool.runInBackground(["drill", "run", shipped])
        #expect(passing.status == 0, "\(passing.errors)")
        #expect(passing.output.hasPrefix("# After-action report: Landslides on a mountain road"))
        #expect(passing.errors.contains("+00:00:00 first-slide: Report road-slide-1"))  // progress
    }

    @Test func aLiveRunPlaysThroughTheDaemonsAPIInRealTime() async throws {
        let receiver = try WebhookReceiver()
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let playbook = root.url.appendingPathComponent("live.yaml")
        try """
        name: Live
        rooms: {hq: {language: en}}
        injects:
          - at: "+00:00:00"
            id: call
            report:
              key: smoke
              kind: fire
              latitude: 36.1461
              longitude: 137.2522
              text: 住宅火災
              photos: [\(FixtureFiles.photo("hida-fire.jpg").path)]
          - at: "+00:00:01"
            fault: {room: hq, kind: unreachable, until: "+00:00:02"}
          - at: "+00:00:02"
            id: responding
            status: {incident: smoke, to: responding}
        expect:
          - message: {room: hq, contains: "EXERCISE", within: 20s, after: call}
          - message: {room: hq, contains: "responding", within: 20s, after: responding}
          - by: "+00:00:05"
            status: {incident: smoke, is: responding}
          - no_duplicates: true
          - outbox_empty: true
          - all_exercise: true

        """.write(to: playbook, atomically: true, encoding: .utf8)
        let configure: (inout NoroshiConfiguration) -> Void = { configuration in
            configuration.chat.rooms = [
                RoomConfiguration(
                    name: "hq",
                    connector: .webhook(
                        url: receiver.url(), secret: Secret(value: "s", origin: "test"), sendImage: false),
                    language: .english)
            ]
            configuration.chat.outbox.gather = 1
        }
        try await TestServer.run(configure: configure) { server in
            let token = try await server.token(.hq)
            let tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
            let out = root.url.appendingPathComponent("reports")
            let result = try await tool.runInBackground([
                "drill", "run", playbook.path, "--server", server.baseURL, "--token", token, "--speed", "1",
                "--out", out.path,
            ])
            #expect(result.status == 0, "\(result.output)\n\(result.errors)")
            let report = try AfterActionReport.decode(Data(contentsOf: out.appendingPathComponent("live.json")))
            #expect(report.mode == "live board at \(server.baseURL), real time")
            #expect(report.timeline.contains { $0.text.contains("Skipped: a drill against a live board cannot") })
            // The board's own room took the messages, and the drill's report is in its store, as exercise.
            let texts = receiver.requests.map { String(decoding: $0.body, as: UTF8.self) }
            #expect(texts.contains { $0.contains("EXERCISE") && $0.contains("XF-") })
            let incidents = try await server.store.incidents(.init())
            #expect(incidents.count == 1 && incidents[0].exercise && incidents[0].status == .responding)
            #expect(report.reports.count == 1 && report.reports[0].incident == incidents[0].number)
        }
    }

    /// Regression: at --speed 10 a live drill failed ten drill minutes in ("observed_at is 10 minutes in the
    /// future"): it sent drill times, which run ahead of the board's clock; the board allows 10 minutes of
    /// skew, which 12.5 drill minutes at --speed 10 exceed (75 real seconds).
    @Test func aLiveRunFasterThanRealTimeStaysOnTheBoardsClock() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let playbook = root.url.appendingPathComponent("fast.yaml")
        try """
        name: Fast
        injects:
          - at: "+00:00:00"
            id: call
            report: {key: smoke, kind: fire, latitude: 36.1461, longitude: 137.2522, text: 住宅火災}
          - at: "+00:12:30"
            id: later
            report: {key: flames, kind: fire, latitude: 36.1463, longitude: 137.2524, text: 延焼中}
          - at: "+00:12:40"
            status: {incident: smoke, to: responding}
        expect:
          - by: "+00:13:00"
            status: {incident: smoke, is: responding}
          - all_exercise: true

        """.write(to: playbook, atomically: true, encoding: .utf8)
        try await TestServer.run { server in
            let token = try await server.token(.hq)
            let tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
            let out = root.url.appendingPathComponent("reports")
            let started = Date()
            let result = try await tool.runInBackground([
                "drill", "run", playbook.path, "--server", server.baseURL, "--token", token, "--speed", "10",
                "--out", out.path,
            ])
            #expect(result.status == 0, "\(result.output)\n\(result.errors)")
            let incidents = try await server.store.incidents(.init())
            #expect(incidents.count == 1 && incidents[0].reportCount == 2, "\(incidents)")
            // The later report is observed when it was sent, on the board's clock, never ahead of it.
            let detail = try await server.store.incidentDetail(try #require(incidents.first).number)
            let later = try #require(detail.reports.last)
            #expect(later.observedAt <= later.receivedAt)
            #expect(
                later.observedAt.timeIntervalSince(started) > 70 && later.observedAt.timeIntervalSince(started) < 120)
        }
    }
}
