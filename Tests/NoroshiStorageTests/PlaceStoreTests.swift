import Foundation
import GRDB
import Logging
import NoroshiCore
import NoroshiTesting
import Testing

@testable import NoroshiStorage

/// Places at intake: every located report and its incident get their 都道府県 and 市区町村, stored, and the
/// default title follows them.
@Suite struct PlaceStoreTests {
    static let takayamaCityHall = (36.1461, 137.2522)
    static let atSea = (34.0, 137.0)

    @Test func aLocatedReportAndItsIncidentGetTheirArea() async throws {
        try await StoreFixture.with { fixture in
            let receipt = try await fixture.submit(at: Self.takayamaCityHall)
            #expect(receipt.report.area?.code == "212032")
            #expect(receipt.incident.area?.name(japanese: true) == "岐阜県高山市")
            #expect(receipt.incident.title == "高山市の火災")
            #expect(receipt.incident.titleIsDefault)
            #expect(receipt.incident.title(japanese: false) == "Fire in Takayama City")
            // What the receipt says is what was stored.
            let detail = try await fixture.store.incidentDetail(receipt.incident.number)
            #expect(detail.incident == receipt.incident)
            #expect(detail.reports.first == receipt.report)
            let stored = try fixture.rawValue("SELECT area_code FROM report WHERE id = \(receipt.report.id)")
            #expect(stored == "212032")
        }
    }

    @Test func defaultTitlesSayWhatIsKnown() async throws {
        try await StoreFixture.with { fixture in
            let sea = try await fixture.submit(at: Self.atSea)
            #expect(sea.report.area == nil)
            #expect(sea.incident.area == nil)
            #expect(sea.incident.title == "海上・国外の火災")
            let named = try await fixture.submit(kind: .landslide, at: nil, place: "国道41号 宮峠")
            #expect(named.incident.title == "国道41号 宮峠の土砂災害")
            #expect(named.incident.title(japanese: false) == "Landslide at 国道41号 宮峠")
            let other = try await fixture.submit(kind: .other, at: nil, place: "旭市役所")
            #expect(other.incident.title == "旭市役所の事案")
            #expect(other.incident.title(japanese: false) == "Incident at 旭市役所")
        }
    }

    @Test func theAreaArrivesWithTheFirstLocatedReportAndStopsAtHQsTitle() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit(at: nil, place: "上岡本町")
            #expect(first.incident.title == "上岡本町の火災")
            let located = try await fixture.submit(at: Self.takayamaCityHall, incident: first.incident.number)
            #expect(located.incident.area?.municipality == "高山市")
            #expect(located.incident.title == "高山市の火災")
            // A later report elsewhere does not move the incident's area: it stays where it was first located.
            let later = try await fixture.submit(at: (36.2381, 137.1860), incident: first.incident.number)
            #expect(later.report.area?.municipality == "飛騨市")
            #expect(later.incident.area?.municipality == "高山市")

            let titled = try await fixture.store.change(
                first.incident.number, IncidentChange(title: "上岡本町 住宅火災"), by: "HQ")
            #expect(!titled.titleIsDefault)
            #expect(titled.title(japanese: false) == "上岡本町 住宅火災")
            // Unlinking the Takayama report: the area is recomputed, the HQ title stays.
            _ = try await fixture.store.unlink(reportID: located.report.id, by: "HQ")
            let after = try await fixture.store.incident(first.incident.number)
            #expect(after.area?.municipality == "飛騨市")
            #expect(after.title == "上岡本町 住宅火災")
            let split = try await fixture.store.report(id: located.report.id)
            let own = try await fixture.store.incident(split.incidentNumber)
            #expect(own.title == "高山市の火災")
            #expect(own.area?.code == "212032")
        }
    }

    /// A database written before places (v7) gets its areas and default titles on the first open.
    @Test func migrationFillsAreasAndMarksOldDefaultTitles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent(Store.databaseFileName).path
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v7: board sessions, the event stream, reports' tokens")
        try queue.write { db in
            let incidents: [(String, String, String?)] = [
                ("F-2026-0001", "Fire near 36.1461, 137.2522", nil),
                ("F-2026-0002", "Fire at 国道41号", "国道41号"),
                ("F-2026-0003", "本町の倉庫火災", nil),
                ("F-2026-0004", "Fire, location unknown", nil),
            ]
            for (index, (number, title, place)) in incidents.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO incident (id, number, kind, title, status, exercise, is_open, place, opened_at,
                            updated_at, last_activity_at, status_changed_at)
                        VALUES (?, ?, 'fire', ?, 'reported', 0, 1, ?, 0, 0, 0, 0)
                        """, arguments: [index + 1, number, title, place])
            }
            let reports: [(Int, Double?, Double?)] = [(1, 36.1461, 137.2522), (2, 35.7203, 140.6466), (3, 34.0, 137.0)]
            for (index, (incident, latitude, longitude)) in reports.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO report (client_key, fingerprint, incident_id, kind, latitude, longitude, text,
                            exercise, observed_at, received_at, link_mode, submitted_by)
                        VALUES (?, '', ?, 'fire', ?, ?, 'x', 0, 0, ?, 'automatic', 'HQ')
                        """, arguments: ["k\(index)", incident, latitude, longitude, index])
            }
        }
        let store = try Store(directory: directory.url, clock: ManualClock(), logger: Logger(label: "test"))
        _ = store
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT number, title, title_is_default, area_code FROM incident ORDER BY id")
        }
        #expect(rows.map { $0["title"] as String } == ["高山市の火災", "旭市の火災", "本町の倉庫火災", "場所不明の火災"])
        #expect(rows.map { $0["title_is_default"] as Bool } == [true, true, false, true])
        #expect(rows.map { $0["area_code"] as String? } == ["212032", "122157", nil, nil])
        let reportAreas = try queue.read { db in
            try String?.fetchAll(db, sql: "SELECT area_code FROM report ORDER BY id")
        }
        #expect(reportAreas == ["212032", "122157", nil])
    }
}

extension StoreFixture {
    /// One value read straight from the file.
    func rawValue(_ sql: String) throws -> String? {
        let queue = try DatabaseQueue(path: directory.url.appendingPathComponent(Store.databaseFileName).path)
        return try queue.read { db in try String.fetchOne(db, sql: sql) }
    }
}

/// The board's text search: every word in the title or in any of the incident's reports.
@Suite struct BoardSearchTests {
    @Test func everyWordSomewhereInTheIncident() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit(at: (36.1461, 137.2522), text: "倉庫から煙が見える")
            try await fixture.submit(at: (36.1462, 137.2523), text: "延焼中、100%燃えている")
            let other = try await fixture.submit(at: (35.7203, 140.6466), text: "煙のみ")
            func numbers(_ text: String) async throws -> [String] {
                try await fixture.store.boardIncidents(BoardFilter(text: text)).rows.map(\.incident.number).sorted()
            }
            #expect(try await numbers("煙") == [first.incident.number, other.incident.number].sorted())
            #expect(try await numbers("煙 延焼") == [first.incident.number])
            #expect(try await numbers("高山市 延焼") == [first.incident.number])  // a title word and a text word
            #expect(try await numbers("煙 土石流").isEmpty)
            #expect(try await numbers("100%") == [first.incident.number])
            #expect(try await numbers("0%燃").count == 1)
            #expect(try await numbers("%").count == 1)  // a literal percent sign, not a wildcard
            let listing = try await fixture.store.boardIncidents(BoardFilter(text: "煙", limit: 1))
            #expect(listing.total == 2 && listing.rows.count == 1)
        }
    }
}

/// Exports read the store a page at a time; the pages join up to exactly the matches.
@Suite struct ExportPagingTests {
    @Test func pagesChainWithoutGapsOrRepeats() async throws {
        try await StoreFixture.with { fixture in
            for index in 0..<7 {
                try await fixture.submit(at: (33.0 + Double(index), 135.0), text: "report \(index)")
            }
            try await fixture.submit(kind: .landslide, at: (36.0, 137.0))
            let filter = IncidentFilter(kinds: [.fire])
            var after: Int64? = 0
            var reports: [Report] = []
            var incidents: [Incident] = []
            var pages = 0
            while let from = after {
                let page = try await fixture.store.exportReports(filter, after: from, limit: 3)
                reports += page.rows
                after = page.next
                pages += 1
            }
            after = 0
            while let from = after {
                let page = try await fixture.store.exportIncidents(filter, after: from, limit: 3)
                incidents += page.rows
                after = page.next
            }
            #expect(pages == 3)
            #expect(reports.map(\.text) == (0..<7).map { "report \($0)" })
            #expect(incidents.count == 7 && Set(incidents.map(\.id)).count == 7)
        }
    }
}
