import Foundation
import GRDB
import NoroshiCore
import Testing

@testable import NoroshiStorage

/// 即報: numbered per incident, stored as issued and never changed, and the 30-minute rule's reminder.
@Suite struct SokuhoTests {
    @Test func eachIssueIsTheNextNumberAndLaterChangesLeaveIssuedOnesAsTheyWere() async throws {
        try await StoreFixture.with { fixture in
            let receipt = try await fixture.submit(text: "Smoke from a barn roof", casualties: Casualties(injured: 1))
            let number = receipt.incident.number
            fixture.clock.advance(by: 600)
            let first = try await fixture.store.issueSokuho(number, situation: nil, by: "Takayama HQ")
            #expect(first.sequence == 1 && first.label == "第1報")
            #expect(first.reporter == "Takayama HQ")
            #expect(first.kakuchi == receipt.incident.openedAt)
            #expect(first.casualties == Casualties(injured: 1))
            #expect(first.situation.hasSuffix("Hida FD: Smoke from a barn roof"))  // drafted from the report
            #expect(first.prefecture == "岐阜県" && first.municipality == "飛騨市" && first.areaCode == "212172")
            #expect(first.title == "飛騨市の火災")

            // Later facts change the incident, not the 報 already issued.
            fixture.clock.advance(by: 600)
            try await fixture.submit(text: "Spread to the house", casualties: Casualties(dead: 1, injured: 3))
            _ = try await fixture.store.change(
                number, IncidentChange(title: "Barn fire, Furukawa", homes: HomeDamage(destroyed: 1)), by: "HQ")
            let second = try await fixture.store.issueSokuho(
                number, situation: "  延焼中。住家1棟全焼。  ", by: "Takayama HQ")
            #expect(second.sequence == 2 && second.situation == "延焼中。住家1棟全焼。")
            #expect(second.casualties == Casualties(dead: 1, injured: 3) && second.homes.destroyed == 1)
            #expect(second.title == "Barn fire, Furukawa")

            let list = try await fixture.store.sokuhoList(number)
            #expect(list.sokuho == [first, second])
            #expect(list.nextSequence == 3)
            #expect(list.draftSituation.components(separatedBy: "\n").count == 2)
            #expect(try await fixture.store.sokuho(number, sequence: 1) == first)
            await #expect(throws: NoroshiError.self) { _ = try await fixture.store.sokuho(number, sequence: 3) }

            let incident = try await fixture.store.incident(number)
            #expect(incident.sokuho?.count == 2)
            #expect(incident.sokuho?.firstIssuedAt == first.issuedAt)
            #expect(incident.sokuho?.dueAt == incident.openedAt.addingTimeInterval(1800))
            let timeline = try await fixture.store.incidentDetail(number).timeline
            #expect(timeline.filter { $0.action == .sokuhoIssued }.map(\.actor) == ["Takayama HQ", "Takayama HQ"])

            // The table refuses edits and deletions, even from SQL.
            let queue = try DatabaseQueue(
                path: fixture.directory.url.appendingPathComponent(Store.databaseFileName).path)
            #expect(throws: (any Error).self) {
                try queue.write { db in try db.execute(sql: "UPDATE sokuho SET body = '{}' WHERE sequence = 1") }
            }
            #expect(throws: (any Error).self) {
                try queue.write { db in try db.execute(sql: "DELETE FROM sokuho") }
            }
            #expect(try await fixture.store.sokuho(number, sequence: 1) == first)
        }
    }

    @Test func badInputIsRefusedAndIssuesNothing() async throws {
        try await StoreFixture.with { fixture in
            let number = try await fixture.submit().incident.number
            await #expect(throws: NoroshiError.self) {
                _ = try await fixture.store.issueSokuho(
                    number, situation: String(repeating: "火", count: 4_001), by: "HQ")
            }
            await #expect(throws: NoroshiError.self) {
                _ = try await fixture.store.issueSokuho(
                    number, situation: nil, asOf: fixture.clock.now().addingTimeInterval(3600), by: "HQ")
            }
            await #expect(throws: NoroshiError.self) {
                _ = try await fixture.store.issueSokuho("F-2026-9999", situation: nil, by: "HQ")
            }
            #expect(try fixture.count("sokuho") == 0)
        }
    }

    @Test func aReminderGoesOnceWhenNoFirstReportIsIssuedInTime() async throws {
        try await StoreFixture.with { fixture in
            let late = try await fixture.submit(at: (36.14, 137.25)).incident
            let drill = try await fixture.submit(at: (35.0, 135.0), exercise: true).incident
            let onTime = try await fixture.submit(at: (34.0, 134.0)).incident
            fixture.clock.advance(by: 5 * 60)
            _ = try await fixture.store.issueSokuho(onTime.number, situation: nil, by: "HQ")

            fixture.clock.advance(by: 14 * 60 + 59)  // 19:59 after 覚知
            #expect(try await fixture.store.queueSokuhoReminders(after: 20) == 0)
            fixture.clock.advance(by: 1)  // 20:00
            #expect(try await fixture.store.queueSokuhoReminders(after: 20) == 2)
            fixture.clock.advance(by: 600)
            #expect(try await fixture.store.queueSokuhoReminders(after: 20) == 0)

            let reasons = try await fixture.store.read { db in
                try Row.fetchAll(db, sql: "SELECT incident_id, reason FROM chat_event WHERE reason = 'sokuho_reminder'")
                    .map { $0["incident_id"] as Int64 }
            }
            #expect(Set(reasons) == [late.id, drill.id])

            // The router sends reminders only where the reminder rooms are, other reasons by the routes.
            _ = try await fixture.store.routeChatEvents(settings: OutboxSettings(gather: 0, photoWait: 0)) {
                _, reason in reason == .sokuhoReminder ? ["duty"] : ["hq"]
            }
            let duty = try await fixture.store.nextOutboxMessage(
                room: "duty", settings: OutboxSettings(gather: 0, photoWait: 0))
            guard case .send(let message) = duty else {
                Issue.record("no reminder for duty: \(duty)")
                return
            }
            #expect(message.reasons == [.sokuhoReminder])
            let summary = try #require(message.summary)
            #expect(summary.minutesSinceKakuchi == 30)
            #expect(summary.rendered().headline.contains("覚知から30分、第1報が未発出です"))
        }
    }
}
