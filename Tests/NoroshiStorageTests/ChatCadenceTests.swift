import Foundation
import NoroshiCore
import Testing

@testable import NoroshiStorage

/// Reports that join an incident as paced 続報, changes at once; waits that are not failures; dead letters by
/// age; rooms that start when they are added — all on a clock the test moves.
@Suite struct ChatCadenceTests {
    static let settings = OutboxSettings(gather: 0, photoWait: 0, maxAge: 3600, reportUpdateInterval: 300)

    func route(_ fixture: StoreFixture, starts: [String: Int64] = [:]) async throws {
        try await fixture.store.routeChatEvents(settings: Self.settings, roomStarts: starts) { _, _ in ["hq"] }
    }

    func claim(_ fixture: StoreFixture) async throws -> OutboxClaim {
        try await fixture.store.nextOutboxMessage(room: "hq", settings: Self.settings)
    }

    /// Claims the room's next message and marks it delivered; nil when none is ready.
    func deliver(_ fixture: StoreFixture) async throws -> OutboxMessage? {
        try await route(fixture)
        guard case .send(let message) = try await claim(fixture) else { return nil }
        try await fixture.store.finishOutboxMessage(
            id: message.id, outcome: .delivered(remoteID: nil), retryAt: fixture.clock.now(), settings: Self.settings)
        return message
    }

    @Test func reportOnlyUpdatesArePacedAndGatheredWhileChangesGoAtOnce() async throws {
        try await StoreFixture.with { fixture in
            let opened = try await fixture.submit(text: "Smoke from a barn roof")
            let number = opened.incident.number
            let first = try #require(try await deliver(fixture))
            #expect(first.reasons == [.opened])
            let sentAt = fixture.clock.now()

            fixture.clock.advance(by: 10)
            try await fixture.submit(text: "Flames through the roof")
            #expect(try await deliver(fixture) == nil)  // a report-only update waits …
            guard case .wait(let until) = try await claim(fixture) else {
                Issue.record("the 続報 should wait")
                return
            }
            #expect(until == sentAt.addingTimeInterval(300))  // … until 300 s after the last message
            fixture.clock.advance(by: 200)
            try await fixture.submit(text: "Spread to the house; the road is closed")
            #expect(try await deliver(fixture) == nil)
            fixture.clock.advance(by: 90)  // 300 s after the first message
            let update = try #require(try await deliver(fixture))
            #expect(update.reasons == [.reportAdded] && update.updates == 2)  // two reports, one message
            let summary = try #require(update.summary)
            #expect(summary.newReports == 2)
            #expect(summary.newestReport?.text == "Spread to the house; the road is closed")
            let text = summary.rendered().text
            #expect(text.contains("続報 2件"), "\(text)")
            #expect(text.contains("最新の報告: "), "\(text)")
            #expect(text.contains(": Spread to the house; the road is closed"), "\(text)")

            // A report that raises a count goes at once, and says what changed.
            fixture.clock.advance(by: 10)
            try await fixture.submit(text: "Two injured", casualties: Casualties(injured: 2))
            let rise = try #require(try await deliver(fixture))
            #expect(rise.reasons == [.countsChanged])
            let rendered = try #require(rise.summary).rendered().text
            #expect(rendered.contains("変化: 負傷者 未確認→2"), "\(rendered)")

            // So does a status change, even right after; the next plain report waits again.
            _ = try await fixture.store.change(number, IncidentChange(status: .confirmed), by: "hq")
            #expect(try await deliver(fixture)?.reasons == [.statusChanged])
            try await fixture.submit(text: "Still burning")
            #expect(try await deliver(fixture) == nil)
            // A status change while a 続報 waits takes it along, at once.
            _ = try await fixture.store.change(number, IncidentChange(status: .responding), by: "hq")
            #expect(try await deliver(fixture)?.reasons == [.reportAdded, .statusChanged])
        }
    }

    @Test func aLongTextIsCutInTheSummary() {
        let line = Summary.ReportLine(text: String(repeating: "火", count: 500), unit: nil, observedAt: Date())
        #expect(line.text.count == Summary.ReportLine.maxText && line.text.hasSuffix("…"))
    }

    @Test func waitsTheServerAsksForAreNotFailuresAndFailuresDeadLetterByAge() async throws {
        try await StoreFixture.with { fixture in
            try await fixture.submit()
            try await route(fixture)
            guard case .send(let message) = try await claim(fixture) else {
                Issue.record("the message should be ready")
                return
            }
            // Eight hours of 429 with Retry-After: waited out, never counted, never dead — and then delivered.
            for _ in 0..<50 {
                fixture.clock.advance(by: 600)
                let after = try await fixture.store.finishOutboxMessage(
                    id: message.id, outcome: .retry(reason: "Webhook answered 429", after: .seconds(600)),
                    retryAt: fixture.clock.now().addingTimeInterval(600), settings: Self.settings)
                #expect(after.state == .sending && after.attempts == 0)
            }
            fixture.clock.advance(by: 600)
            guard case .send(let again) = try await claim(fixture), again.id == message.id else {
                Issue.record("the throttled message should be handed out again, the same one")
                return
            }
            let delivered = try await fixture.store.finishOutboxMessage(
                id: message.id, outcome: .delivered(remoteID: nil), retryAt: fixture.clock.now(),
                settings: Self.settings)
            #expect(delivered.state == .delivered && delivered.attempts == 1 && delivered.summary == message.summary)

            // A failure past a message's maximum age (1 h here) makes it a dead letter, the first failure at that.
            _ = try await fixture.store.change(
                try #require(message.incidentNumber), IncidentChange(status: .confirmed), by: "hq")
            try await route(fixture)
            guard case .send(let old) = try await claim(fixture) else {
                Issue.record("the status change should be ready")
                return
            }
            for _ in 0..<3 {
                _ = try await fixture.store.finishOutboxMessage(
                    id: old.id, outcome: .retry(reason: "Webhook answered 429", after: .seconds(1800)),
                    retryAt: fixture.clock.now().addingTimeInterval(1800), settings: Self.settings)
                fixture.clock.advance(by: 1800)
            }
            let dead = try await fixture.store.finishOutboxMessage(
                id: old.id, outcome: .retry(reason: "Webhook answered 500", after: nil),
                retryAt: fixture.clock.now(), settings: Self.settings)
            #expect(dead.state == .dead && dead.attempts == 1 && dead.lastError == "Webhook answered 500")

            // A younger message survives many failures.
            try await fixture.submit(kind: .landslide, at: (35.0, 136.0))
            try await route(fixture)
            guard case .send(let young) = try await claim(fixture) else {
                Issue.record("the second message should be ready")
                return
            }
            for _ in 0..<30 {
                fixture.clock.advance(by: 60)
                let state = try await fixture.store.finishOutboxMessage(
                    id: young.id, outcome: .retry(reason: "refused", after: nil), retryAt: fixture.clock.now(),
                    settings: Self.settings
                ).state
                #expect(state == .sending)
            }
        }
    }

    @Test func aRoomAddedLaterGetsNothingOldAndForgottenRoomsCanBeDropped() async throws {
        try await StoreFixture.with { fixture in
            // History: incidents opened and changed while only "old" existed.
            for index in 0..<20 {
                let receipt = try await fixture.submit(at: (33.0 + Double(index) * 0.1, 135.0))
                _ = try await fixture.store.change(receipt.incident.number, IncidentChange(severity: 2), by: "hq")
            }
            fixture.clock.advance(by: 1)
            let starts = try fixture.store.roomStarts(["new"])
            // Routed to both rooms as the configuration stands now: "new" gets none of it.
            _ = try await fixture.store.routeChatEvents(settings: Self.settings, roomStarts: starts) { _, _ in
                ["old", "new"]
            }
            #expect(try await fixture.store.outboxMessages(OutboxFilter(states: [.queued], room: "new")).isEmpty)
            #expect(try await fixture.store.outboxMessages(OutboxFilter(states: [.queued], room: "old")).count == 20)
            // What happens from now on reaches it; its start is kept across restarts.
            try await fixture.submit(kind: .flood, at: (36.0, 138.0))
            _ = try await fixture.store.routeChatEvents(settings: Self.settings, roomStarts: starts) { _, _ in
                ["old", "new"]
            }
            #expect(try await fixture.store.outboxMessages(OutboxFilter(states: [.queued], room: "new")).count == 1)
            fixture.clock.advance(by: 60)
            #expect(try fixture.store.roomStarts(["new"]) == starts)

            // "old" leaves the configuration: its messages are named, and dropped on request.
            #expect(try await fixture.store.outboxForgottenRooms(configured: ["new"]) == ["old": 21])
            #expect(try await fixture.store.dropOutboxMessages(room: "old", by: "HQ admin") == 21)
            #expect(try await fixture.store.outboxForgottenRooms(configured: ["new"]).isEmpty)
            let dropped = try await fixture.store.outboxMessages(OutboxFilter(states: [.dropped], room: "old"))
            #expect(dropped.count == 21 && dropped.allSatisfy { $0.lastError == "Dropped by HQ admin." })
            await #expect(throws: NoroshiError.self) {
                _ = try await fixture.store.dropOutboxMessages(room: "old", by: "HQ admin")
            }

            // A message dropped while an attempt is on the wire stays dropped when that attempt fails.
            try await fixture.submit(kind: .other, at: (37.0, 139.0))
            try await route(fixture)
            guard case .send(let flying) = try await claim(fixture) else {
                Issue.record("a message should be ready")
                return
            }
            #expect(try await fixture.store.dropOutboxMessages(id: flying.id, by: "HQ admin") == 1)
            let after = try await fixture.store.finishOutboxMessage(
                id: flying.id, outcome: .retry(reason: "Webhook answered 500", after: nil),
                retryAt: fixture.clock.now(), settings: Self.settings)
            #expect(after.state == .dropped && after.lastError == "Dropped by HQ admin.")
        }
    }
}
