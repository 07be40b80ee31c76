import Foundation
import GRDB
import Logging
import NoroshiCore
import NoroshiTesting
import Testing

@testable import NoroshiStorage

/// A store over a real SQLite file in a temporary directory, with a clock the test controls.
struct StoreFixture {
    let directory: TemporaryDirectory
    let clock: ManualClock
    let store: Store

    init(policy: LinkingPolicy = LinkingPolicy()) throws {
        directory = try TemporaryDirectory()
        clock = ManualClock()
        store = try Store(directory: directory.url, policy: policy, clock: clock, logger: Logger(label: "test"))
    }

    static func with(_ body: (StoreFixture) async throws -> Void) async throws {
        let fixture = try StoreFixture()
        defer { fixture.directory.remove() }
        try await body(fixture)
    }

    @discardableResult
    func submit(
        _ key: String = UUID().uuidString,
        kind: IncidentKind = .fire,
        at position: (Double, Double)? = (36.2381, 137.1860),
        place: String? = nil,
        text: String = "Smoke from a barn roof",
        incident: String? = nil,
        exercise: Bool = false,
        casualties: Casualties? = nil
    ) async throws -> ReportReceipt {
        try await store.submit(
            ReportSubmission(
                clientKey: key, kind: kind.rawValue, latitude: position?.0, longitude: position?.1, place: place,
                text: text, casualties: casualties, incident: incident, exercise: exercise ? true : nil),
            by: "Hida FD")
    }

    /// Counts rows straight from the file, to see what is really stored.
    func count(_ table: String) throws -> Int {
        let queue = try DatabaseQueue(path: directory.url.appendingPathComponent(Store.databaseFileName).path)
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }
}

@Suite struct StoreTests {
    @Test func databaseIsWALWithFullSynchronous() async throws {
        try await StoreFixture.with { fixture in
            try await fixture.submit()
            let path = fixture.directory.url.appendingPathComponent(Store.databaseFileName).path
            let queue = try DatabaseQueue(path: path)
            let mode = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(try await fixture.store.synchronousSetting() == 2)
        }
    }

    @Test func theLogIsCheckpointedInTheBackgroundNotByCommits() async throws {
        try await StoreFixture.with { fixture in
            let path = fixture.directory.url.appendingPathComponent(Store.databaseFileName).path
            // Commits leave checkpoints to the background until the log is 64 MB.
            let threshold = try await fixture.store.pool.write { db in
                try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint")
            }
            #expect(threshold == 16_000)
            func size(_ file: String) -> Int {
                ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0
            }
            let before = size(path)
            for index in 0..<200 {
                try await fixture.submit(
                    at: (34.0 + Double(index) * 0.01, 135.0), text: String(repeating: "煙", count: 500))
            }
            #expect(size(path + "-wal") > 0)
            // The database file only grows when pages are checkpointed into it, and nothing but the
            // background checkpointer does that below the threshold.
            var grown = false
            for _ in 0..<100 where !grown {
                try await Task.sleep(for: .milliseconds(50))
                grown = size(path) > before
            }
            #expect(grown)
        }
    }

    @Test func firstReportOpensIncidentAndNearbyOneJoins() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit(casualties: Casualties(injured: 1))
            #expect(first.created && first.openedIncident)
            let year = IncidentNumber.year(of: fixture.clock.now())
            #expect(first.incident.number == "F-\(year)-0001")
            #expect(first.incident.status == .reported)

            fixture.clock.advance(by: 600)
            let second = try await fixture.submit(at: (36.2390, 137.1870), casualties: Casualties(injured: 3))
            #expect(second.incident.id == first.incident.id)
            #expect(!second.openedIncident)
            #expect(second.incident.reportCount == 2)
            #expect(second.incident.casualties.injured == 3)
            let centre = try #require(second.incident.centre)
            #expect(abs(centre.latitude - 36.23855) < 1e-9)
            let extent = try #require(second.incident.extent)
            #expect(extent.minLatitude == 36.2381 && extent.maxLatitude == 36.2390)
            #expect(second.incident.lastActivityAt == fixture.clock.now())

            let detail = try await fixture.store.incidentDetail(first.incident.number)
            #expect(detail.reports.map(\.id) == [first.report.id, second.report.id])
            #expect(detail.timeline.map(\.action) == [.opened, .reportAdded])
            #expect(detail.timeline[1].message.contains("linked automatically"))
        }
    }

    /// Intake answers from the values it wrote instead of reading them back; they must be what a read returns.
    @Test func receiptMatchesWhatIsStored() async throws {
        try await StoreFixture.with { fixture in
            var receipts: [ReportReceipt] = []
            receipts.append(try await fixture.submit(place: "Furukawa", casualties: Casualties(dead: 0, injured: 2)))
            fixture.clock.advance(by: 0.1234)
            receipts.append(try await fixture.submit(at: (36.2391, 137.1874), text: "Second crew on scene"))
            fixture.clock.advance(by: 61)
            receipts.append(
                try await fixture.submit(at: nil, place: "Furukawa bridge", incident: receipts[0].incident.number))
            receipts.append(try await fixture.submit(kind: .flood, at: (35.6074, 140.1065), exercise: true))
            for receipt in receipts {
                #expect(try await fixture.store.report(id: receipt.report.id) == receipt.report)
            }
            // The incident in the latest receipt of each incident is the stored incident.
            for receipt in [receipts[2], receipts[3]] {
                let detail = try await fixture.store.incidentDetail(receipt.incident.number)
                #expect(detail.incident == receipt.incident)
            }
        }
    }

    /// Linking stays fast at 10,000 open incidents only while its search never visits the incident table.
    @Test func candidateSearchIsAnsweredFromTheLinkingIndexAlone() async throws {
        try await StoreFixture.with { fixture in
            try await fixture.submit()
            let queue = try DatabaseQueue(
                path: fixture.directory.url.appendingPathComponent(Store.databaseFileName).path)
            let plan = try await queue.read { db in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + Linker.candidatesSQL,
                    arguments: ["fire", false, 36.0, 36.1, 137.0, 137.1]
                ).map { $0["detail"] as String }
            }
            #expect(plan.count == 1)
            #expect(plan.first?.hasPrefix("SEARCH incident USING COVERING INDEX incident_linking") == true, "\(plan)")
        }
    }

    @Test func numbersCountPerKindAndExerciseSeparately() async throws {
        try await StoreFixture.with { fixture in
            let year = IncidentNumber.year(of: fixture.clock.now())
            var numbers: [String] = []
            numbers.append(try await fixture.submit().incident.number)
            numbers.append(try await fixture.submit(at: (35.0, 135.0)).incident.number)
            numbers.append(try await fixture.submit(kind: .landslide).incident.number)
            numbers.append(try await fixture.submit(exercise: true).incident.number)
            numbers.append(try await fixture.submit(kind: .avianInfluenza).incident.number)
            #expect(
                numbers == ["F-\(year)-0001", "F-\(year)-0002", "L-\(year)-0001", "XF-\(year)-0001", "A-\(year)-0001"])
        }
    }

    @Test func windowExpiryOpensANewIncident() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit()
            fixture.clock.advance(by: 13 * 3600)
            let later = try await fixture.submit()
            #expect(later.openedIncident)
            #expect(later.incident.id != first.incident.id)
        }
    }

    @Test func sameKeyAndBodyReturnsTheOriginal() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit("key-1")
            fixture.clock.advance(by: 60)
            let again = try await fixture.submit("key-1")
            #expect(!again.created)
            #expect(again.report.id == first.report.id)
            #expect(again.incident.number == first.incident.number)
            #expect(try fixture.count("report") == 1)
        }
    }

    @Test func sameKeyWithDifferentBodyIsAConflictAndStoresNothing() async throws {
        try await StoreFixture.with { fixture in
            try await fixture.submit("key-1")
            await #expect(throws: NoroshiError.self) { try await fixture.submit("key-1", text: "Different") }
            do {
                try await fixture.submit("key-1", text: "Different")
            } catch let error as NoroshiError {
                #expect(error.code == .conflict)
            }
            #expect(try fixture.count("report") == 1)
            #expect(try fixture.count("timeline_event") == 1)
        }
    }

    @Test func explicitNumberJoinsEvenFarAway() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit()
            let far = try await fixture.submit(at: (36.5, 137.5), incident: first.incident.number)
            #expect(far.incident.id == first.incident.id)
            #expect(far.report.linkMode == .explicit)
        }
    }

    @Test func reportWithoutPositionJoinsOnlyByNumber() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit(place: "Furukawa")
            let unlocated = try await fixture.submit(at: nil, place: "Furukawa")
            #expect(unlocated.openedIncident)
            #expect(unlocated.incident.centre == nil)
            let byNumber = try await fixture.submit(at: nil, place: "Furukawa", incident: first.incident.number)
            #expect(byNumber.incident.id == first.incident.id)
            #expect(byNumber.incident.centre == first.incident.centre)
        }
    }

    @Test func unknownOrMismatchedIncidentNumberStoresNothing() async throws {
        try await StoreFixture.with { fixture in
            let fire = try await fixture.submit()
            for (kind, number, code) in [
                (IncidentKind.fire, "F-2026-0999", NoroshiError.Code.notFound),
                (.landslide, fire.incident.number, .invalidInput),
            ] {
                do {
                    try await fixture.submit(kind: kind, incident: number)
                    Issue.record("accepted \(kind) into \(number)")
                } catch let error as NoroshiError {
                    #expect(error.code == code)
                }
            }
            do {
                try await fixture.submit(incident: fire.incident.number, exercise: true)
                Issue.record("an exercise report joined a real incident")
            } catch let error as NoroshiError {
                #expect(error.message.contains("drills never mix"))
            }
            #expect(try fixture.count("report") == 1)
            #expect(try fixture.count("incident") == 1)
        }
    }

    @Test func statusChangesAreCheckedAndRecorded() async throws {
        try await StoreFixture.with { fixture in
            let number = try await fixture.submit().incident.number
            let confirmed = try await fixture.store.change(number, IncidentChange(status: .confirmed), by: "HQ")
            #expect(confirmed.status == .confirmed)
            do {
                _ = try await fixture.store.change(number, IncidentChange(status: .reported), by: "HQ")
                Issue.record("moved backwards")
            } catch let error as NoroshiError {
                #expect(error.code == .invalidInput)
                #expect(error.message.contains("allowed: responding, contained, closed, cancelled"))
            }
            let closed = try await fixture.store.change(number, IncidentChange(status: .closed, severity: 2), by: "HQ")
            #expect(closed.closedAt != nil && closed.severity == 2)
            // A closed incident takes no new reports automatically.
            #expect(try await fixture.submit().openedIncident)
            let reopened = try await fixture.store.change(number, IncidentChange(status: .responding), by: "HQ")
            #expect(reopened.closedAt == nil && reopened.isOpen)
            let timeline = try await fixture.store.incidentDetail(number).timeline
            #expect(
                timeline.map(\.action) == [.opened, .statusChanged, .statusChanged, .severityChanged, .statusChanged])
            #expect(timeline.last?.message == "Reopened from closed to responding.")
            #expect(timeline.allSatisfy { $0.actor == "HQ" || $0.action == .opened })
        }
    }

    @Test func mergeMovesReportsAndOldNumberResolves() async throws {
        try await StoreFixture.with { fixture in
            let a = try await fixture.submit(at: (36.2381, 137.1860))
            let b = try await fixture.submit(at: (36.2500, 137.1860))  // 1.3 km away: its own incident
            #expect(a.incident.id != b.incident.id)
            let merged = try await fixture.store.merge(b.incident.number, into: a.incident.number, by: "HQ")
            #expect(merged.reportCount == 2)
            #expect(merged.extent?.maxLatitude == 36.25)
            let viaOld = try await fixture.store.incidentDetail(b.incident.number)
            #expect(viaOld.incident.number == a.incident.number)
            #expect(viaOld.mergedFrom == [b.incident.number])
            let open = try await fixture.store.incidents(IncidentFilter())
            #expect(open.map(\.number) == [a.incident.number])
            // A report sent to the old number joins the surviving incident.
            let late = try await fixture.submit(at: nil, place: "Furukawa", incident: b.incident.number)
            #expect(late.incident.id == a.incident.id)
        }
    }

    @Test func unlinkGivesTheReportItsOwnIncidentAndLinkMovesItBack() async throws {
        try await StoreFixture.with { fixture in
            let a = try await fixture.submit()
            let b = try await fixture.submit(at: (36.2385, 137.1865))
            let unlinked = try await fixture.store.unlink(reportID: b.report.id, by: "HQ")
            #expect(unlinked.incidentID != a.incident.id)
            #expect(unlinked.linkMode == .manual)
            #expect(try await fixture.store.incidentDetail(a.incident.number).incident.reportCount == 1)
            let relinked = try await fixture.store.link(reportID: b.report.id, to: a.incident.number, by: "HQ")
            #expect(relinked.incidentID == a.incident.id)
            #expect(try await fixture.store.incidentDetail(a.incident.number).incident.reportCount == 2)
            do {
                _ = try await fixture.store.unlink(reportID: a.report.id, by: "HQ")
                _ = try await fixture.store.unlink(reportID: b.report.id, by: "HQ")
                _ = try await fixture.store.unlink(reportID: b.report.id, by: "HQ")
                Issue.record("unlinked a report from an incident of its own")
            } catch let error as NoroshiError {
                #expect(error.code == .conflict)
            }
        }
    }

    @Test func proposedIncidentPredictsTheLinkWithoutStoring() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit()
            let near = ReportSubmission(
                clientKey: "probe", kind: "fire", latitude: 36.2385, longitude: 137.1862, text: "probe")
            let far = ReportSubmission(clientKey: "probe", kind: "fire", latitude: 36.3, longitude: 137.1862, text: "p")
            #expect(try await fixture.store.proposedIncident(for: near) == first.incident.number)
            #expect(try await fixture.store.proposedIncident(for: far) == nil)
            #expect(try fixture.count("report") == 1)
        }
    }

    @Test func concurrentSubmissionsAreAllStoredExactlyOnce() async throws {
        try await StoreFixture.with { fixture in
            let receipts = try await withThrowingTaskGroup(of: ReportReceipt.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        // Every fifth one repeats an earlier key: those must come back as the original.
                        let original = index % 5 == 4 ? index - 1 : index
                        let latitude = 36.2381 + Double(original % 7) * 0.0001
                        return try await fixture.submit("key-\(original)", at: (latitude, 137.186))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(receipts.count == 300)
            #expect(try fixture.count("report") == 240)
            #expect(Set(receipts.map(\.report.id)).count == 240)
            // All within 100 m of each other: one incident holds every report.
            #expect(try fixture.count("incident") == 1)
            let incident = try #require(try await fixture.store.incidents(IncidentFilter()).first)
            #expect(incident.reportCount == 240)
        }
    }

    @Test func filtersIncidents() async throws {
        try await StoreFixture.with { fixture in
            let fire = try await fixture.submit()
            try await fixture.submit(kind: .landslide, at: (36.0, 137.0))
            try await fixture.submit(kind: .flood, at: (35.0, 140.0), exercise: true)
            _ = try await fixture.store.change(fire.incident.number, IncidentChange(status: .closed), by: "HQ")
            let store = fixture.store
            #expect(try await store.incidents(IncidentFilter()).count == 2)
            #expect(try await store.incidents(IncidentFilter(state: .closed)).map(\.kind) == [.fire])
            #expect(try await store.incidents(IncidentFilter(state: .all)).count == 3)
            #expect(try await store.incidents(IncidentFilter(exercise: true)).map(\.kind) == [.flood])
            #expect(try await store.incidents(IncidentFilter(kinds: [.landslide])).count == 1)
            #expect(try await store.incidents(IncidentFilter(state: .all, statuses: [.closed])).count == 1)
            let near = try GeoPoint(latitude: 36.01, longitude: 137.0)
            #expect(
                try await store.incidents(IncidentFilter(near: near, radiusMetres: 2_000)).map(\.kind) == [.landslide])
            #expect(try await store.incidents(IncidentFilter(near: near, radiusMetres: 500)).isEmpty)
            fixture.clock.advance(by: 3600)
            let since = fixture.clock.now()
            try await fixture.submit(kind: .other, at: (34.0, 134.0))
            #expect(try await store.incidents(IncidentFilter(since: since)).map(\.kind) == [.other])
        }
    }

    @Test func tokensStoreOnlyHashesAndRevocationIsImmediate() async throws {
        try await StoreFixture.with { fixture in
            let (info, secret) = try await fixture.store.createToken(name: "Hida FD station 2", role: .field)
            #expect(secret.hasPrefix("nrs_"))
            #expect(try await fixture.store.authenticate(secret: secret)?.id == info.id)
            #expect(try await fixture.store.authenticate(secret: secret + "x") == nil)
            let bytes = try Data(contentsOf: fixture.directory.url.appendingPathComponent(Store.databaseFileName))
            let wal =
                (try? Data(contentsOf: fixture.directory.url.appendingPathComponent("noroshi.sqlite-wal"))) ?? Data()
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
            #expect(wal.range(of: Data(secret.utf8)) == nil)
            _ = try await fixture.store.revokeToken(id: info.id)
            #expect(try await fixture.store.authenticate(secret: secret) == nil)
            #expect(try await fixture.store.tokens().first?.revokedAt != nil)
        }
    }

    /// The daemon remembers valid tokens; `noroshi token revoke` changes them from another process.
    @Test func revocationByAnotherStoreOnTheSameDirectoryHoldsAtOnce() async throws {
        try await StoreFixture.with { fixture in
            let (first, firstSecret) = try await fixture.store.createToken(name: "Hida FD station 2", role: .field)
            let (second, secondSecret) = try await fixture.store.createToken(name: "Gifu HQ", role: .hq)
            // Both now cached in the first store.
            #expect(try await fixture.store.authenticate(secret: firstSecret)?.id == first.id)
            #expect(try await fixture.store.authenticate(secret: secondSecret)?.id == second.id)

            let other = try Store(directory: fixture.directory.url, logger: Logger(label: "cli"))
            _ = try await other.revokeToken(id: first.id)
            #expect(try await fixture.store.authenticate(secret: firstSecret) == nil)
            #expect(try await fixture.store.authenticate(secret: secondSecret)?.id == second.id)

            // Twice in a row, faster than any file-time tick: each change is still seen.
            let (third, thirdSecret) = try await other.createToken(name: "Chiba patrol", role: .field)
            #expect(try await fixture.store.authenticate(secret: thirdSecret)?.id == third.id)
            _ = try await other.revokeToken(id: third.id)
            _ = try await other.revokeToken(id: second.id)
            #expect(try await fixture.store.authenticate(secret: thirdSecret) == nil)
            #expect(try await fixture.store.authenticate(secret: secondSecret) == nil)
        }
    }
}
