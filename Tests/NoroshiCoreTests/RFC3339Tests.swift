import Foundation
import NoroshiCore
import Testing

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-21T09:30:00+09:00", 1_795_221_000.0),
        ("2026-11-21T00:30:00Z", 1_795_221_000.0),
        ("2026-11-21t00:30:00.250z", 1_795_221_000.25),
        ("2026-11-20T19:30:00-05:00", 1_795_221_000.0),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T12:00:00Z", 1_709_208_000),
        ("2000-03-01T00:00:00Z", 951_868_800),
    ])
    func parses(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.date(from: text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.0005)
    }

    @Test(arguments: [
        "", "2026-11-21", "2026-11-21T09:30:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-21T24:00:00Z", "2026-11-21T09:30:00+9:00", "2026-11-21T09:30:00Zjunk", "2026-11-21T09:30:00.Z",
        "yesterday", "２０２６-11-21T09:30:00Z",
    ])
    func refuses(_ text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }

    @Test func formatsInUTCWithMilliseconds() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_795_221_000.25)) == "2026-11-21T00:30:00.250Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000Z")
    }

    @Test func roundTripsAcrossCenturies() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let ms = Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            let parsed = try #require(RFC3339.date(from: RFC3339.string(from: date)))
            #expect(Int64((parsed.timeIntervalSince1970 * 1000).rounded()) == ms)
        }
    }
}
