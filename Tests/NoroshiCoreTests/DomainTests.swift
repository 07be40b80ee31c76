import Foundation
import NoroshiCore
import Synchronization
import Testing

@Suite struct IncidentStatusTests {
    @Test(arguments: [
        (IncidentStatus.reported, IncidentStatus.confirmed, true),
        (.reported, .closed, true),
        (.confirmed, .responding, true),
        (.responding, .contained, true),
        (.contained, .closed, true),
        (.responding, .confirmed, false),
        (.contained, .reported, false),
        (.reported, .cancelled, true),
        (.contained, .cancelled, true),
        (.closed, .responding, true),
        (.closed, .cancelled, false),
        (.cancelled, .reported, false),
        (.cancelled, .closed, false),
    ])
    func transitions(from: IncidentStatus, to: IncidentStatus, allowed: Bool) {
        #expect(from.canChange(to: to) == allowed)
    }

    @Test func openness() {
        #expect(IncidentStatus.allCases.filter(\.isOpen) == [.reported, .confirmed, .responding, .contained])
    }
}

@Suite struct IncidentNumberTests {
    @Test func formatsWithFourDigits() {
        #expect(IncidentNumber(kind: .fire, exercise: false, year: 2026, sequence: 42).description == "F-2026-0042")
        #expect(
            IncidentNumber(kind: .avianInfluenza, exercise: true, year: 2026, sequence: 12345).description
                == "XA-2026-12345")
    }

    @Test(arguments: ["F-2026-0042", "f-2026-0042", "XL-2027-0001", "W-2026-0100"])
    func roundTrips(_ text: String) throws {
        let number = try #require(IncidentNumber(text))
        #expect(number.description == text.uppercased())
    }

    @Test(arguments: ["", "F-2026", "Q-2026-0001", "F-26-0001", "F-2026-0000", "F-2026-abc", "X-2026-0001"])
    func rejects(_ text: String) {
        #expect(IncidentNumber(text) == nil)
    }

    @Test func yearFollowsJapanStandardTime() {
        // 2026-12-31T15:30Z is already 2027-01-01 00:30 in Japan.
        let date = try! #require(RFC3339.date(from: "2026-12-31T15:30:00Z"))
        #expect(IncidentNumber.year(of: date) == 2027)
        // The same moment written in Japan Standard Time, and read back.
        let jst = RFC3339.string(from: date, utcOffset: 9 * 3600)
        #expect(jst == "2027-01-01T00:30:00.000+09:00")
        #expect(RFC3339.date(from: jst) == date)
        #expect(RFC3339.string(from: date, utcOffset: -(3 * 3600 + 1800)) == "2026-12-31T12:00:00.000-03:30")
    }
}

@Suite struct ReportValidationTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func submission(_ change: (inout ReportSubmission) -> Void = { _ in }) -> ReportSubmission {
        var submission = ReportSubmission(
            clientKey: "k-1", kind: "fire", latitude: 36.2381, longitude: 137.186, text: "Smoke from a barn roof")
        change(&submission)
        return submission
    }

    @Test func acceptsAGoodReport() throws {
        let report = try Self.submission().validated(limits: ReportLimits(), now: Self.now)
        #expect(report.kind == .fire)
        #expect(report.observedAt == Self.now)
        #expect(report.exercise == false)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var name: String
        var change: @Sendable (inout ReportSubmission) -> Void
        var message: String
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "unknown kind", change: { $0.kind = "volcano" }, message: "Unknown kind 'volcano'"),
        Bad(name: "latitude over 90", change: { $0.latitude = 91 }, message: "Latitude 91.0 is out of range"),
        Bad(name: "longitude under -180", change: { $0.longitude = -181 }, message: "Longitude -181.0 is out of range"),
        Bad(name: "NaN", change: { $0.latitude = .nan }, message: "finite"),
        Bad(name: "infinity", change: { $0.longitude = .infinity }, message: "finite"),
        Bad(name: "latitude alone", change: { $0.longitude = nil }, message: "both 'latitude' and 'longitude'"),
        Bad(
            name: "neither position nor place",
            change: {
                $0.latitude = nil
                $0.longitude = nil
            },
            message: "needs a position"),
        Bad(name: "empty text", change: { $0.text = "  " }, message: "'text' must not be empty"),
        Bad(name: "text too long", change: { $0.text = String(repeating: "火", count: 4001) }, message: "limit is 4000"),
        Bad(name: "empty client key", change: { $0.clientKey = "" }, message: "'client_key' must not be empty"),
        Bad(name: "future observation", change: { $0.observedAt = "2030-01-01T00:00:00Z" }, message: "in the future"),
        Bad(name: "not a time", change: { $0.observedAt = "yesterday" }, message: "RFC 3339"),
        Bad(name: "bad incident number", change: { $0.incident = "fire-42" }, message: "not an incident number"),
        Bad(
            name: "negative casualties", change: { $0.casualties = Casualties(injured: -1) },
            message: "'injured' must be between"),
    ]

    @Test(arguments: bad)
    func refuses(_ bad: Bad) {
        var submission = Self.submission()
        bad.change(&submission)
        do {
            _ = try submission.validated(limits: ReportLimits(), now: Self.now)
            Issue.record("\(bad.name) was accepted")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains(bad.message), "\(error.message)")
        }
    }

    @Test func acceptsPlaceWithoutPositionAndSmallClockSkew() throws {
        let report = try Self.submission {
            $0.latitude = nil
            $0.longitude = nil
            $0.place = "高山市 上岡本町"
            $0.observedAt = RFC3339.string(from: Self.now.addingTimeInterval(120))
        }.validated(limits: ReportLimits(), now: Self.now)
        #expect(report.position == nil)
        #expect(report.place == "高山市 上岡本町")
    }
}

@Suite struct ManualClockTests {
    @Test func sleepersWakeWhenTheClockIsMovedPastTheirDeadlineNotBefore() async throws {
        let clock = ManualClock()
        let start = clock.now()
        let woke = Woke()
        let sleepers = Task {
            await withTaskGroup(of: Void.self) { group in
                for seconds in [10, 20] {
                    group.addTask {
                        await clock.sleep(until: start.addingTimeInterval(TimeInterval(seconds)))
                        woke.list.withLock { $0.append(seconds) }
                    }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(woke.list.withLock { $0 }.isEmpty)  // real time passing does not move it
        clock.advance(by: 15)
        try await Task.sleep(for: .milliseconds(50))
        #expect(woke.list.withLock { $0 } == [10])
        clock.advance(to: start.addingTimeInterval(20))
        await sleepers.value
        #expect(woke.list.withLock { $0 } == [10, 20])
        // A deadline already passed returns at once; a cancelled sleeper returns too.
        await clock.sleep(until: start)
        let cancelled = Task { await clock.sleep(until: start.addingTimeInterval(3600)) }
        cancelled.cancel()
        await cancelled.value
    }
}

private final class Woke: Sendable {
    let list = Mutex<[Int]>([])
}
