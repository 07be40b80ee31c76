import Foundation
import NoroshiCore
import Testing

/// The hand-written JSON of hot responses must be exactly what JSONEncoder.noroshi() writes.
@Suite struct JSONWriterTests {
    static func report(text: String, full: Bool) -> Report {
        var report = Report(
            id: 42,
            clientKey: "hida-2-0001",
            kind: .landslide,
            latitude: full ? 36.2381 : nil,
            longitude: full ? 137.186 : nil,
            accuracy: full ? 15 : nil,
            place: full ? "国道41号 / Route 41" : nil,
            text: text,
            unit: full ? "Hida FD 2" : nil,
            reporter: full ? "山田" : nil,
            casualties: full ? Casualties(dead: 0, missing: 2, injured: 13) : Casualties(),
            exercise: !full,
            observedAt: Date(timeIntervalSince1970: 1_795_000_000.123),
            receivedAt: Date(timeIntervalSince1970: 1_795_000_001),
            incidentID: 7,
            incidentNumber: "L-2026-0007",
            linkMode: full ? .explicit : .automatic,
            submittedBy: "Hida FD station 2"
        )
        // A prefecture-only area (no municipality) on the report, a full one on the incident.
        report.area =
            full
            ? Area(
                code: "010006", prefecture: "北海道", municipality: nil, prefectureEnglish: "Hokkaido",
                municipalityEnglish: nil) : nil
        return report
    }

    static let area = Area(
        code: "212032", prefecture: "岐阜県", municipality: "高山市", prefectureEnglish: "Gifu",
        municipalityEnglish: "Takayama City")

    static func incident(full: Bool) throws -> Incident {
        var incident = Incident(
            id: 7,
            number: "L-2026-0007",
            kind: .landslide,
            title: "Landslide at 国道41号",
            status: full ? .responding : .reported,
            severity: full ? 4 : nil,
            exercise: !full,
            centre: full ? try GeoPoint(latitude: 36.238600000000005, longitude: -0.000001) : nil,
            extent: full
                ? GeoBox(minLatitude: 36.2381, maxLatitude: 36.2391, minLongitude: 137, maxLongitude: 1e-7) : nil,
            place: full ? "Furukawa" : nil,
            reportCount: 3,
            casualties: full ? Casualties(injured: 1) : Casualties(),
            openedAt: Date(timeIntervalSince1970: 1_795_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_795_000_000.5),
            lastActivityAt: Date(timeIntervalSince1970: 1_795_000_000.999),
            closedAt: full ? Date(timeIntervalSince1970: 1_795_003_600) : nil,
            mergedInto: full ? "L-2026-0001" : nil
        )
        incident.area = full ? area : nil
        incident.titleIsDefault = full
        return incident
    }

    @Test(arguments: [
        "Road blocked by debris", "", "quote \" backslash \\ slash / tab \t newline \n return \r",
        "control \u{01}\u{08}\u{0C}\u{1F} end", "土砂崩れ 🚒 Ünïcödé",
    ])
    func receiptBytesEqualJSONEncoder(text: String) throws {
        for full in [true, false] {
            let receipt = ReportReceipt(
                report: Self.report(text: text, full: full), incident: try Self.incident(full: full), created: full,
                openedIncident: !full)
            let expected = try JSONEncoder.noroshi().encode(receipt)
            let written = receipt.jsonBytes()
            #expect(
                String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                "full: \(full)")
        }
    }

    /// Stored fingerprints hash this form; it must stay what JSONEncoder with sorted keys wrote.
    @Test func submissionBytesEqualSortedKeysJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let submissions = [
            ReportSubmission(clientKey: "k1", kind: "fire", latitude: 36.2381, longitude: 137.186, text: "Smoke"),
            ReportSubmission(
                clientKey: "k2", kind: "avian_influenza", latitude: -0.5, longitude: 140, accuracy: 12.5,
                place: "養鶏場 / farm 3", text: "Dead birds\n\"many\"", unit: "Chiba LHS", reporter: "佐藤",
                observedAt: "2026-11-21T09:30:00+09:00", casualties: Casualties(dead: 0), incident: "A-2026-0003",
                exercise: true),
            ReportSubmission(clientKey: "k3", kind: "other", place: "Route 41", text: "", exercise: false),
        ]
        for submission in submissions {
            let expected = String(decoding: try encoder.encode(submission), as: UTF8.self)
            #expect(String(decoding: submission.jsonBytes(), as: UTF8.self) == expected)
        }
    }
}
