import Foundation
import GRDB
import Logging
import NoroshiCore
import NoroshiTesting
import Testing

@testable import NoroshiStorage

/// The outbox in the database: events written with the change, routed to rooms, coalesced, frozen, finished.
@Suite struct OutboxTests {
    static let settings = OutboxSettings(gather: 5, photoWait: 30, maxAttempts: 3)
    static let everywhere: @Sendable (Incident) -> [String] = { _ in ["hq"] }

    @discardableResult
    func route(_ fixture: StoreFixture, rooms: @escaping @Sendable (Incident) -> [String] = everywhere) async throws
        -> Set<String>
    {
        try await fixture.store.routeChatEvents(settings: Self.settings) { incident, _ in rooms(incident) }
    }

    func claim(_ fixture: StoreFixture, room: String = "hq") async throws -> OutboxClaim {
        try await fixture.store.nextOutboxMessage(room: room, settings: Self.settings)
    }

    @Test func theEventIsWrittenInTheTransactionOfTheChange() async throws {
        try await StoreFixture.with { fixture in
            let receipt = try await fixture.submit()
            #expect(try fixture.count("chat_event") == 1)
            // A second report in the same incident is a 続報 (the router paces it); a new title is not news.
            try await fixture.submit()
            #expect(try fixture.count("chat_event") == 2)
            _ = try await fixture.store.change(receipt.incident.number, IncidentChange(title: "Barn fire"), by: "hq")
            #expect(try fixture.count("chat_event") == 2)
            _ = try await fixture.store.change(receipt.incident.number, IncidentChange(status: .confirmed), by: "hq")
            #expect(try fixture.count("chat_event") == 3)
            // A refused change writes nothing.
            await #expect(throws: NoroshiError.self) {
                try await fixture.store.change(receipt.incident.number, IncidentChange(status: .reported), by: "hq")
            }
            #expect(try fixture.count("chat_event") == 3)
        }
    }

    @Test func routingCoalescesIntoTheQueuedMessageOfTheSameIncident() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit()
            let other = try await fixture.submit(kind: .landslide, at: (35.0, 136.0))
            for status in [IncidentStatus.confirmed, .responding] {
                _ = try await fixture.store.change(first.incident.number, IncidentChange(status: status), by: "hq")
            }
            _ = try await fixture.store.change(first.incident.number, IncidentChange(severity: 4), by: "hq")
            #expect(try await route(fixture) == ["hq"])
            #expect(try fixture.count("chat_event") == 0)
            let pending = try await fixture.store.outboxMessages(.pending)
            #expect(pending.count == 2)
            #expect(pending[0].incidentNumber == first.incident.number)
            #expect(pending[0].reasons == [.opened, .statusChanged, .severityChanged])
            #expect(pending[0].updates == 4)
            #expect(pending[1].incidentNumber == other.incident.number && pending[1].updates == 1)
        }
    }

    @Test func aNewIncidentWaitsForItsPhotosThenGoesWithTheLatestState() async throws {
        try await StoreFixture.with { fixture in
            let receipt = try await fixture.submit(casualties: Casualties(injured: 2))
            try await route(fixture)
            guard case .wait(let until) = try await claim(fixture) else {
                Issue.record("A new incident should wait for the gathering window")
                return
            }
            #expect(until == fixture.clock.now().addingTimeInterval(5))
            fixture.clock.advance(by: 1)
            let sha = String(repeating: "a", count: 64)
            _ = try await fixture.store.attachPhoto(
                Photo(sha256: sha, bytes: 100, width: 4000, height: 3000, receivedAt: fixture.clock.now()),
                toReport: receipt.report.id, by: "field")
            try await route(fixture)
            fixture.clock.advance(by: 5)
            // The photo's chat copy is not made yet: the message waits for it.
            guard case .wait = try await claim(fixture) else {
                Issue.record("The message should wait for the chat copy")
                return
            }
            try await fixture.store.completePhotoJob(
                sha256: sha, chat: Photo.Size(width: 1280, height: 960), thumb: Photo.Size(width: 320, height: 240))
            // Ready as soon as the copy is, without the clock moving (a drill's clock moves only when told).
            guard case .send(let message) = try await claim(fixture), let summary = message.summary else {
                Issue.record("The message should be ready")
                return
            }
            #expect(message.state == .sending && message.updates == 2)
            #expect(summary.reasons == [.opened, .photoAdded] && summary.newPhotos == 1 && summary.photoCount == 1)
            #expect(summary.image == Summary.Image(sha256: sha, width: 1280, height: 960))
            #expect(summary.casualties.injured == 2 && summary.number == receipt.incident.number)
            // Until it is finished, the same frozen message is handed out again.
            guard case .send(let again) = try await claim(fixture) else {
                Issue.record("The frozen message should be handed out again")
                return
            }
            #expect(again.id == message.id && again.summary == summary)
            // A change now goes into a new message, behind this one.
            _ = try await fixture.store.change(receipt.incident.number, IncidentChange(status: .confirmed), by: "hq")
            try await route(fixture)
            try await fixture.store.finishOutboxMessage(
                id: message.id, outcome: .delivered(remoteID: "$event"), retryAt: fixture.clock.now(),
                settings: Self.settings)
            guard case .send(let next) = try await claim(fixture) else {
                Issue.record("The status change should be ready at once")
                return
            }
            #expect(next.id > message.id && next.reasons == [.statusChanged])
            #expect(next.summary?.status == .confirmed)
        }
    }

    @Test func retriesThenDeadLetterThenRetryByHand() async throws {
        try await StoreFixture.with { fixture in
            let receipt = try await fixture.submit()
            _ = try await fixture.store.change(receipt.incident.number, IncidentChange(status: .confirmed), by: "hq")
            try await route(fixture)
            fixture.clock.advance(by: 10)
            for attempt in 1...3 {
                guard case .send(let message) = try await claim(fixture) else {
                    Issue.record("Attempt \(attempt) should be ready")
                    return
                }
                let after = try await fixture.store.finishOutboxMessage(
                    id: message.id, outcome: .retry(reason: "The webhook answered 503", after: nil),
                    retryAt: fixture.clock.now().addingTimeInterval(2), settings: Self.settings)
                #expect(after.attempts == attempt)
                #expect(after.state == (attempt < 3 ? .sending : .dead))
                if attempt < 3 {
                    guard case .wait = try await claim(fixture) else {
                        Issue.record("A retry waits for its backoff")
                        return
                    }
                    fixture.clock.advance(by: 2)
                }
            }
            #expect(try await claim(fixture) == .idle)
            let dead = try await fixture.store.outboxMessages(.failed)
            #expect(dead.count == 1 && dead[0].lastError == "The webhook answered 503")
            let requeued = try await fixture.store.retryOutboxMessage(id: dead[0].id, by: "HQ")
            #expect(requeued.state == .sending && requeued.attempts == 0)
            await #expect(throws: NoroshiError.self) {
                try await fixture.store.retryOutboxMessage(id: dead[0].id, by: "HQ")
            }
            guard case .send(let message) = try await claim(fixture) else {
                Issue.record("The re-queued message should be ready")
                return
            }
            #expect(message.id == dead[0].id && message.summary == dead[0].summary)
            try await fixture.store.finishOutboxMessage(
                id: message.id, outcome: .permanent(reason: "M_FORBIDDEN"), retryAt: fixture.clock.now(),
                settings: Self.settings)
            #expect(try await fixture.store.outboxMessage(id: message.id).state == .dead)
        }
    }

    @Test func claimingAheadLooksPastTheMessageOnTheWireAndRecordsInTheSameCommit() async throws {
        try await StoreFixture.with { fixture in
            for index in 0..<3 { try await fixture.submit(at: (34.0 + Double(index), 135.0)) }
            try await route(fixture)
            fixture.clock.advance(by: 10)
            guard case .send(let first) = try await claim(fixture),
                case .send(let second) = try await fixture.store.nextOutboxMessage(
                    room: "hq", settings: Self.settings, after: first.id)
            else {
                Issue.record("Both messages should be ready")
                return
            }
            #expect(second.id > first.id && second.summary != nil)
            // Without `after`, the room's next message is still the first: order does not move.
            guard case .send(let again) = try await claim(fixture) else {
                Issue.record("The first message is still the room's next")
                return
            }
            #expect(again.id == first.id)
            // The first's outcome and the claim of the rest share a commit; claiming stops where the room
            // has nothing more ready.
            let advance = try await fixture.store.advanceOutbox(
                room: "hq",
                recording: [
                    OutboxAttempt(id: first.id, outcome: .delivered(remoteID: nil), retryAt: fixture.clock.now())
                ],
                claim: 5, after: second.id, settings: Self.settings)
            #expect(advance.states == [.delivered])
            #expect(advance.claimed.count == 1 && advance.rest == .idle)
            let third = try #require(advance.claimed.first)
            #expect(third.id > second.id && third.summary != nil)
            #expect(
                try await fixture.store.outboxMessages(OutboxFilter(states: [.sending])).map(\.id) == [
                    second.id, third.id,
                ])
            // A failure of the second leaves the third frozen behind it.
            try await fixture.store.finishOutboxMessage(
                id: second.id, outcome: .retry(reason: "The webhook answered 503", after: nil),
                retryAt: fixture.clock.now().addingTimeInterval(2), settings: Self.settings)
            guard case .wait = try await claim(fixture) else {
                Issue.record("The room waits for the second message's retry")
                return
            }
            fixture.clock.advance(by: 2)
            guard case .send(let retried) = try await claim(fixture) else {
                Issue.record("The second message's retry is due")
                return
            }
            #expect(retried.id == second.id && retried.summary == second.summary)
            let next = try await fixture.store.advanceOutbox(
                room: "hq",
                recording: [
                    OutboxAttempt(id: second.id, outcome: .delivered(remoteID: nil), retryAt: fixture.clock.now())
                ],
                claim: 2, after: nil, settings: Self.settings)
            #expect(next.states == [.delivered])
            #expect(next.claimed == [third] && next.rest == .idle)
        }
    }

    @Test func theCoalescingLookupUsesAnIndex() async throws {
        try await StoreFixture.with { fixture in
            let plan = try await fixture.store.pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        EXPLAIN QUERY PLAN SELECT id FROM outbox
                        WHERE room = 'hq' AND incident_id = 1 AND state = 'queued'
                        """
                ).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("outbox_queued_incident") })
        }
    }

    @Test func roomsFollowTheRouteAndTheIncidentAsItStands() async throws {
        try await StoreFixture.with { fixture in
            let receipt = try await fixture.submit()
            _ = try await fixture.store.change(receipt.incident.number, IncidentChange(severity: 4), by: "hq")
            let routes = [ChatRoute(rooms: ["fire"], kinds: [.fire]), ChatRoute(rooms: ["prefecture"], minSeverity: 3)]
            #expect(try await route(fixture) { routes.rooms(for: $0) } == ["fire", "prefecture"])
            let prefecture = try await fixture.store.outboxMessages(OutboxFilter(room: "prefecture"))
            #expect(prefecture.count == 1 && prefecture[0].reasons == [.opened, .severityChanged])
            _ = try await fixture.submit(kind: .flood, at: (35, 135))
            #expect(try await route(fixture) { routes.rooms(for: $0) }.isEmpty)
        }
    }

    @Test func aMessageForAnIncidentMergedAwayIsDropped() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit()
            let second = try await fixture.submit(at: (36.5, 137.5))
            try await route(fixture)
            _ = try await fixture.store.merge(second.incident.number, into: first.incident.number, by: "hq")
            try await route(fixture)
            fixture.clock.advance(by: 10)
            guard case .send(let message) = try await claim(fixture) else {
                Issue.record("The first incident's message should be ready")
                return
            }
            #expect(message.incidentNumber == first.incident.number)
            #expect(message.reasons == [.opened, .merged])
            #expect(message.summary?.mergedFrom == [second.incident.number] && message.summary?.reportCount == 2)
            try await fixture.store.finishOutboxMessage(
                id: message.id, outcome: .delivered(remoteID: nil), retryAt: fixture.clock.now(),
                settings: Self.settings)
            #expect(try await claim(fixture) == .idle)
            let dropped = try await fixture.store.outboxMessages(OutboxFilter(states: [.dropped]))
            #expect(dropped.map(\.incidentNumber) == [second.incident.number])
            #expect(dropped[0].lastError?.contains("merged into \(first.incident.number)") == true)
        }
    }

    @Test func theInstanceIDIsStableAndUniquePerDatabase() async throws {
        try await StoreFixture.with { fixture in
            let id = try await fixture.store.instanceID()
            #expect(id.count == 16)
            let again = try Store(directory: fixture.directory.url, logger: Logger(label: "test"))
            #expect(try await again.instanceID() == id)
            try await StoreFixture.with { other in
                let otherID = try await other.store.instanceID()
                #expect(otherID != id)
            }
        }
    }
}
