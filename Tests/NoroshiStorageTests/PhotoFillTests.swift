import Foundation
import Logging
import NoroshiCore
import NoroshiStorage
import NoroshiTesting
import Testing

/// A photo's EXIF position and time fill what a report left out, and the report is linked again.
@Suite struct PhotoFillTests {
    let directory: TemporaryDirectory
    let clock = ManualClock()
    let store: Store

    /// A barn near Takayama, and a point 300 m east of it (inside the fire radius of 1 km).
    static let barn = (latitude: 36.1461, longitude: 137.2522)
    static let nearBarn = (latitude: 36.1461, longitude: 137.2555)

    init() throws {
        directory = try TemporaryDirectory()
        store = try Store(directory: directory.url, clock: clock, logger: Logger(label: "test"))
    }

    func submit(
        latitude: Double? = nil,
        longitude: Double? = nil,
        place: String? = "Takayama, barn behind the school",
        observedAt: Date? = nil,
        incident: String? = nil
    ) async throws -> ReportReceipt {
        try await store.submit(
            ReportSubmission(
                clientKey: UUID().uuidString, kind: "fire", latitude: latitude, longitude: longitude, place: place,
                text: "Smoke", observedAt: observedAt.map(RFC3339.string(from:)), incident: incident),
            by: "hida-2")
    }

    func photo(latitude: Double? = nil, longitude: Double? = nil, takenAt: Date? = nil) -> Photo {
        Photo(
            sha256: String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(32)) + "0"
                + String(repeating: "a", count: 31),
            bytes: 100, width: 160, height: 120, takenAt: takenAt, takenAtText: takenAt.map(RFC3339.string(from:)),
            latitude: latitude, longitude: longitude, receivedAt: clock.now())
    }

    func timeline(_ number: String) async throws -> [TimelineEvent] {
        try await store.incidentDetail(number).timeline
    }

    @Test func aPlaceOnlyReportTakesThePhotoPositionAndTimeAndJoinsTheIncidentThere() async throws {
        defer { directory.remove() }
        let first = try await submit(latitude: Self.barn.latitude, longitude: Self.barn.longitude)
        clock.advance(by: 600)
        let second = try await submit()
        #expect(second.openedIncident)
        #expect(second.report.positionSource == nil && second.report.observedAtSource == .receipt)
        let taken = clock.now().addingTimeInterval(-300)

        let receipt = try await store.attachPhoto(
            photo(latitude: Self.nearBarn.latitude, longitude: Self.nearBarn.longitude, takenAt: taken),
            toReport: second.report.id, by: "hida-2")

        #expect(receipt.incidentNumber == first.incident.number)
        let filled = try #require(receipt.filled)
        #expect(filled.contains("position 36.14610, 137.25550 and observed time"))
        #expect(filled.contains("now belongs to incident \(first.incident.number)"))
        let report = try await store.report(id: second.report.id)
        #expect(report.latitude == Self.nearBarn.latitude && report.longitude == Self.nearBarn.longitude)
        #expect(report.positionSource == .photo && report.observedAtSource == .photo)
        #expect(report.observedAt == taken)
        #expect(report.linkMode == .automatic)

        let joined = try await store.incidentDetail(first.incident.number)
        #expect(joined.incident.reportCount == 2)
        #expect(joined.reports.map(\.id) == [first.report.id, second.report.id])
        #expect(joined.mergedFrom == [second.incident.number])
        #expect(joined.photos.map(\.reportID) == [second.report.id])
        #expect(joined.timeline.last?.action == .merged)
        // The number the crew was told still leads to the incident, and says why.
        let old = try await store.incidentDetail(second.incident.number)
        #expect(old.incident.number == first.incident.number)
        let mergedAway = try await store.incidents(IncidentFilter(state: .all)).first {
            $0.number == second.incident.number
        }
        #expect(mergedAway?.mergedInto == first.incident.number && mergedAway?.reportCount == 0)
    }

    @Test func aPositionFarFromAnyIncidentLocatesTheReportsOwnIncident() async throws {
        defer { directory.remove() }
        _ = try await submit(latitude: Self.barn.latitude, longitude: Self.barn.longitude)
        let lonely = try await submit()
        let receipt = try await store.attachPhoto(
            photo(latitude: 35.6074, longitude: 140.1065), toReport: lonely.report.id, by: "hida-2")
        #expect(receipt.incidentNumber == lonely.incident.number)
        #expect(receipt.filled?.hasPrefix("Report \(lonely.report.id): position 35.60740, 140.10650 filled") == true)
        let detail = try await store.incidentDetail(lonely.incident.number)
        #expect(detail.incident.centre == (try GeoPoint(latitude: 35.6074, longitude: 140.1065)))
        #expect(detail.timeline.map(\.action) == [.opened, .photoAdded, .reportFilled])
        #expect(detail.reports[0].observedAtSource == .receipt)  // the photo had no time
    }

    @Test func whatTheSenderGaveIsNeverReplaced() async throws {
        defer { directory.remove() }
        let observed = clock.now().addingTimeInterval(-1200)
        let sent = try await submit(latitude: 36.0, longitude: 137.0, place: nil, observedAt: observed)
        let receipt = try await store.attachPhoto(
            photo(latitude: Self.barn.latitude, longitude: Self.barn.longitude, takenAt: clock.now()),
            toReport: sent.report.id, by: "hida-2")
        #expect(receipt.filled == nil)
        let report = try await store.report(id: sent.report.id)
        #expect(report.latitude == 36.0 && report.observedAt == observed)
        #expect(report.positionSource == .sender && report.observedAtSource == .sender)
        #expect(try await timeline(sent.incident.number).map(\.action) == [.opened, .photoAdded])
    }

    @Test func aReportSentToAnIncidentByNumberIsFilledButStaysThere() async throws {
        defer { directory.remove() }
        let far = try await submit(latitude: 35.0, longitude: 139.0)
        _ = try await submit(latitude: Self.barn.latitude, longitude: Self.barn.longitude)
        let explicit = try await submit(incident: far.incident.number)
        let receipt = try await store.attachPhoto(
            photo(latitude: Self.nearBarn.latitude, longitude: Self.nearBarn.longitude), toReport: explicit.report.id,
            by: "hida-2")
        #expect(receipt.incidentNumber == far.incident.number)
        let report = try await store.report(id: explicit.report.id)
        #expect(report.positionSource == .photo && report.linkMode == .explicit)
        let incident = try await store.incidentDetail(far.incident.number).incident
        #expect(incident.reportCount == 2 && incident.extent?.maxLatitude == Self.nearBarn.latitude)
    }

    @Test func anIncidentHQHasTakenUpIsNotMergedAway() async throws {
        defer { directory.remove() }
        let first = try await submit(latitude: Self.barn.latitude, longitude: Self.barn.longitude)
        let second = try await submit()
        _ = try await store.change(second.incident.number, IncidentChange(status: .confirmed), by: "hq")
        let receipt = try await store.attachPhoto(
            photo(latitude: Self.nearBarn.latitude, longitude: Self.nearBarn.longitude), toReport: second.report.id,
            by: "hida-2")
        #expect(receipt.incidentNumber == second.incident.number)
        #expect(try await store.incidentDetail(first.incident.number).incident.reportCount == 1)
        #expect(try await store.incidentDetail(second.incident.number).incident.centre != nil)
    }

    @Test(arguments: [
        (-8 * 24 * 3600.0, "more than 7 days before"),
        (3600.0, "it lies after the report"),
    ])
    func anImplausibleCameraTimeIsNotUsedAndTheTimelineSaysWhy(offset: TimeInterval, reason: String) async throws {
        defer { directory.remove() }
        let sent = try await submit()
        let receipt = try await store.attachPhoto(
            photo(takenAt: clock.now().addingTimeInterval(offset)), toReport: sent.report.id, by: "hida-2")
        let filled = try #require(receipt.filled)
        #expect(filled.contains("could not fill it") && filled.contains(reason))
        let report = try await store.report(id: sent.report.id)
        #expect(report.observedAtSource == .receipt && report.observedAt == sent.report.receivedAt)
        #expect(try await timeline(sent.incident.number).last?.message == filled)
    }

    @Test func gpsZeroZeroIsNotAPosition() async throws {
        defer { directory.remove() }
        let sent = try await submit()
        let receipt = try await store.attachPhoto(
            photo(latitude: 0, longitude: 0), toReport: sent.report.id, by: "hida-2")
        #expect(receipt.filled?.contains("GPS position 0, 0 was not used") == true)
        #expect(try await store.report(id: sent.report.id).positionSource == nil)
    }

    @Test func onlyTheFirstPhotoFillsAndTheSamePhotoAgainChangesNothing() async throws {
        defer { directory.remove() }
        let sent = try await submit()
        let first = photo(latitude: 36.2, longitude: 137.2)
        #expect(try await store.attachPhoto(first, toReport: sent.report.id, by: "a").filled != nil)
        #expect(try await store.attachPhoto(first, toReport: sent.report.id, by: "a").filled == nil)
        let second = photo(latitude: 36.3, longitude: 137.3)
        #expect(try await store.attachPhoto(second, toReport: sent.report.id, by: "a").filled == nil)
        #expect(try await store.report(id: sent.report.id).latitude == 36.2)
    }
}
