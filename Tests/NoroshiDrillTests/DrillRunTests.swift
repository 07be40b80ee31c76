import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiTesting
import Testing

@testable import NoroshiDrill

/// The runner on its in-process board: the shipped playbooks pass, a wrong expectation fails with what was seen,
/// and the latencies are the controlled clock's.
@Suite struct DrillRunTests {
    static func shippedPlaybooks() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: PlaybookTests.playbooks.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func run(_ playbook: Playbook, file: String = "drill.yaml") async throws -> AfterActionReport {
        var options = DrillRunner.Options()
        options.logger.logLevel = .critical
        return try await DrillRunner(playbook: playbook, file: file, options: options).run()
    }

    /// What failed, for a test's message.
    static func failures(_ report: AfterActionReport) -> String {
        (report.expectations.filter { !$0.passed }.map { "line \($0.line): \($0.observed)" } + report.problems)
            .joined(separator: "\n")
    }

    @Test(arguments: try shippedPlaybooks())
    func shippedPlaybookPasses(_ name: String) async throws {
        let path = PlaybookTests.playbooks.appendingPathComponent(name).path
        let playbook = try Playbook.load(path: path)
        let report = try await Self.run(playbook, file: path)
        #expect(report.passed, "\(Self.failures(report))")
        #expect(report.expectations.count == playbook.expectations.count)
        #expect(report.problems.isEmpty)
        #expect(report.messages.dead == 0 && report.messages.pending == 0 && report.messages.repeats == 0)
        // Two hours and more of scenario, every report placed and every injected outage ridden out.
        #expect(report.drillSeconds >= playbook.length.timeInterval)
        #expect(report.reports.count == playbook.reports.count)
        let allExercise = report.incidents.allSatisfy { $0.exercise }
        #expect(allExercise)
        let refused = report.timeline.filter { $0.source == "chat" && $0.text.contains("did not take") }
        #expect(!refused.isEmpty)
    }

    static let wrong = """
        name: A fire HQ never closes
        rooms: {fire-hq: }
        injects:
          - at: "+00:00:00"
            id: call
            report: {key: smoke, kind: fire, latitude: 36.1461, longitude: 137.2522, text: 住宅火災}
          - at: "+00:05:00"
            status: {incident: smoke, to: responding}
        expect:
          - status: {incident: smoke, is: closed}
          - by: "+00:03:00"
            status: {incident: smoke, is: responding}
          - message: {room: fire-hq, contains: "鎮火", within: 60s, after: call}
          - open_incidents: {kind: fire, count: 1}

        """

    @Test func aWrongExpectationFailsWithWhatWasObserved() async throws {
        let report = try await Self.run(try PlaybookTests.parse(Self.wrong))
        #expect(!report.passed)
        let verdicts = report.expectations.map { "\($0.line) \($0.passed ? "PASS" : "FAIL"): \($0.observed)" }
        #expect(
            verdicts == [
                "10 FAIL: XF-2026-0001 is responding",
                "11 FAIL: Still not at +00:03:00: XF-2026-0001 is reported",
                "13 FAIL: nothing containing it reached fire-hq after call (2 other messages did)",
                "14 PASS: 1 open: XF-2026-0001 (responding)",
            ])
        #expect(report.markdown.contains("**FAIL**: 3 of 4 expectations failed."))
        #expect(report.summary.contains("FAIL line 10: at the end: the incident of smoke is closed"))
    }

    /// Two rooms; a report at +2 min meets a rate-limited room (Retry-After 60 s until +10 min) and a slow one
    /// (answers after 10 s until +3 min); HQ links it into the first incident at +20 min.
    static let timed = """
        name: Timed
        rooms: {hq: {language: en}, city: }
        injects:
          - at: "+00:00:00"
            report: {key: first, kind: fire, latitude: 36.1461, longitude: 137.2522, text: 住宅火災}
          - at: "+00:01:00"
            fault: {room: hq, kind: rate_limited, retry_after: 60s, until: "+00:10:00"}
          - at: "+00:01:00"
            fault: {room: city, kind: slow, delay: 10s, until: "+00:03:00"}
          - at: "+00:02:00"
            report: {key: second, kind: fire, latitude: 36.2000, longitude: 137.3000, text: 倉庫火災}
          - at: "+00:20:00"
            link: {report: second, incident: first}
        expect:
          - separate_incidents: [first, second]
            at: "+00:19:00"
          - same_incident: [first, second]

        """

    @Test func latenciesAreTheControlledClocks() async throws {
        let report = try await Self.run(try PlaybookTests.parse(Self.timed))
        #expect(report.passed, "\(Self.failures(report))")
        let byKey = Dictionary(uniqueKeysWithValues: report.reports.map { ($0.key, $0) })
        // Intake takes no drill time; the second report reached its incident when HQ linked it, 18 min later.
        #expect(byKey["first"]?.toIncident == 0)
        #expect(byKey["second"]?.toIncident == 1080)
        // Each new incident's message gathers for 5 s. The second's, due at +00:02:05, reached the slow room
        // 10 s later, and the rate-limited one at +00:10:05, after eight 429s a minute apart.
        #expect(byKey["first"]?.toFirstMessage == 5)
        #expect(byKey["second"]?.toFirstMessage == 15)
        let latencies = Dictionary(
            uniqueKeysWithValues: report.latencies.map { ("\($0.measure) \($0.room ?? "any")", $0) })
        #expect(latencies["report → first chat message hq"]?.max == 485)
        #expect(latencies["report → first chat message city"]?.max == 15)
        #expect(latencies["report → incident any"]?.p50 == 0)
        #expect(latencies["report → incident any"]?.max == 1080)
        #expect(report.messages.failedAttempts == 8)
        let failures = report.timeline.filter { $0.text.hasPrefix("hq did not take") }.map(\.at)
        let expected: [Double] = (2...9).map { minute in Double(minute * 60 + 5) }
        #expect(failures == expected)
    }

    @Test func runsGiveTheSameReportEveryTime() async throws {
        let playbook = try PlaybookTests.parse(Self.timed)
        var first = try await Self.run(playbook)
        var second = try await Self.run(playbook)
        (first.startedAt, first.realSeconds) = (Date(timeIntervalSince1970: 0), 0)
        (second.startedAt, second.realSeconds) = (Date(timeIntervalSince1970: 0), 0)
        #expect(first == second)
    }
}

extension DrillRunTests {
    @Test func aConfiguredRoomGetsTheDrillForReal() async throws {
        let receiver = try WebhookReceiver()
        var options = DrillRunner.Options()
        options.logger.logLevel = .critical
        options.realRooms = true
        options.configuration.chat.rooms = [
            RoomConfiguration(
                name: "hq",
                connector: .webhook(url: receiver.url(), secret: Secret(value: "s", origin: "test"), sendImage: false),
                language: .english, messagesPerSecond: 0)
        ]
        let playbook = try PlaybookTests.parse(Self.timed)
        let report = try await DrillRunner(playbook: playbook, file: "drill.yaml", options: options).run()
        #expect(report.passed, "\(Self.failures(report))")
        // The real room took both new incidents' messages, and the closing of the second when HQ moved its only
        // report away; its fault was skipped, the capture room's played.
        let bodies = receiver.requests.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies.filter { $0.contains("EXERCISE") }.count == 3)
        #expect(bodies.filter { $0.contains("now closed") }.count == 1)
        #expect(report.timeline.contains { $0.text.contains("Skipped: hq is a real chat room") })
        let hq = report.latencies.first { $0.room == "hq" }
        #expect(hq?.max == 5)
        let city = report.latencies.first { $0.room == "city" }
        #expect(city?.max == 15)
    }
}
