import Foundation
import GRDB
import NoroshiCore
import Testing

@testable import NoroshiStorage

/// 重傷・軽傷 and 住家被害 besides dead, missing and injured: the latest count of each, unknown kept apart from 0,
/// HQ's own settings, and the 災害対策本部 設置状況.
@Suite struct DamageCountTests {
    func submit(
        _ fixture: StoreFixture, casualties: Casualties? = nil, homes: HomeDamage? = nil, incident: String? = nil
    ) async throws -> ReportReceipt {
        try await fixture.store.submit(
            ReportSubmission(
                clientKey: UUID().uuidString, kind: "flood", latitude: 36.1461, longitude: 137.2522,
                text: "Water in houses", observedAt: RFC3339.string(from: fixture.clock.now()), casualties: casualties,
                homes: homes, incident: incident),
            by: "Hida FD")
    }

    @Test func unknownIsNotZeroAndEachCountTakesItsLatestValue() async throws {
        try await StoreFixture.with { fixture in
            let first = try await submit(
                fixture, casualties: Casualties(injured: 2, severelyInjured: 1),
                homes: HomeDamage(floodedAboveFloor: 4, floodedBelowFloor: 0))
            #expect(first.incident.casualties.dead == nil)
            #expect(first.incident.homes.floodedBelowFloor == 0)
            #expect(first.incident.homes.destroyed == nil)
            fixture.clock.advance(by: 60)
            let number = first.incident.number
            let second = try await submit(
                fixture, casualties: Casualties(dead: 0, slightlyInjured: 1), homes: HomeDamage(floodedAboveFloor: 9),
                incident: number)
            let incident = second.incident
            #expect(
                incident.casualties
                    == Casualties(dead: 0, injured: 2, severelyInjured: 1, slightlyInjured: 1))
            #expect(incident.homes == HomeDamage(floodedAboveFloor: 9, floodedBelowFloor: 0))
            // What the receipt said is what a fresh read says, report and incident.
            let detail = try await fixture.store.incidentDetail(number)
            #expect(detail.incident.casualties == incident.casualties)
            #expect(detail.incident.homes == incident.homes)
            #expect(detail.reports.map(\.homes) == [first.report.homes, second.report.homes])
            #expect(detail.reports[0].casualties.severelyInjured == 1)
            #expect(incident.casualties.text(japanese: true) == "死者 0・行方不明者 未確認・負傷者 2（重傷 1・軽傷 1）")
            #expect(incident.homes.text(japanese: true) == "全壊 未確認・半壊 未確認・一部破損 未確認・床上浸水 9・床下浸水 0")
            #expect(Casualties().text(japanese: true) == "未確認")
        }
    }

    @Test func aCountOutOfRangeIsRefusedAndNothingIsStored() async throws {
        try await StoreFixture.with { fixture in
            await #expect(throws: NoroshiError.self) {
                _ = try await submit(fixture, homes: HomeDamage(destroyed: -1))
            }
            await #expect(throws: NoroshiError.self) {
                _ = try await submit(fixture, casualties: Casualties(severelyInjured: 2_000_000))
            }
            let stored = try fixture.count("report")
            #expect(stored == 0)
        }
    }

    @Test func hqSetsCountsThatOnlyALaterReportReplacesAndThatSurviveARecompute() async throws {
        try await StoreFixture.with { fixture in
            let first = try await submit(fixture, casualties: Casualties(injured: 5))
            let number = first.incident.number
            fixture.clock.advance(by: 60)
            let set = try await fixture.store.change(
                number, IncidentChange(casualties: Casualties(injured: 3), homes: HomeDamage(destroyed: 2)),
                by: "HQ Takayama")
            #expect(set.casualties.injured == 3)
            #expect(set.homes.destroyed == 2)
            let timeline = try await fixture.store.incidentDetail(number).timeline
            #expect(
                timeline.last?.message == "Counts set: injured 3 (was 5), destroyed 2 (was unknown).")
            #expect(timeline.last?.action == .countsChanged)

            // A report observed before HQ set the counts (queued offline) does not undo them.
            let late = try await fixture.store.submit(
                ReportSubmission(
                    clientKey: "late", kind: "flood", latitude: 36.1461, longitude: 137.2522, text: "Earlier count",
                    observedAt: RFC3339.string(from: fixture.clock.now().addingTimeInterval(-30)),
                    casualties: Casualties(injured: 7), incident: number),
                by: "Hida FD")
            #expect(late.incident.casualties.injured == 3)

            // A merge recomputes the incident from its reports and keeps HQ's settings.
            fixture.clock.advance(by: 60)
            let other = try await submit(fixture, casualties: Casualties(dead: 1))
            #expect(other.incident.number == number)
            let separate = try await fixture.store.unlink(reportID: other.report.id, by: "HQ Takayama")
            let merged = try await fixture.store.merge(separate.incidentNumber, into: number, by: "HQ Takayama")
            #expect(merged.casualties == Casualties(dead: 1, injured: 3))
            #expect(merged.homes.destroyed == 2)

            // A report observed later replaces HQ's count.
            fixture.clock.advance(by: 60)
            let newer = try await submit(fixture, casualties: Casualties(injured: 4), incident: number)
            #expect(newer.incident.casualties.injured == 4)
            #expect(try fixture.count("count_set") == 2)
        }
    }

    @Test func headquartersIsRecordedWithItsTime() async throws {
        try await StoreFixture.with { fixture in
            let number = try await submit(fixture).incident.number
            #expect(try await fixture.store.incident(number).headquarters == nil)
            let since = try #require(RFC3339.date(from: "2026-11-21T14:30:00+09:00"))
            fixture.clock.advance(to: since.addingTimeInterval(600))
            let changed = try await fixture.store.change(
                number, IncidentChange(headquarters: .response, headquartersSince: since), by: "HQ Takayama")
            #expect(changed.headquarters == HeadquartersStatus(level: .response, since: since))
            let event = try #require(try await fixture.store.incidentDetail(number).timeline.last)
            #expect(event.action == .headquartersChanged)
            #expect(event.message.contains("disaster response headquarters (災害対策本部) since 2026-11-21T14:30:00"))
            await #expect(throws: NoroshiError.self) {
                _ = try await fixture.store.change(
                    number, IncidentChange(headquarters: .alert, headquartersSince: since.addingTimeInterval(7200)),
                    by: "HQ Takayama")
            }
        }
    }
}
