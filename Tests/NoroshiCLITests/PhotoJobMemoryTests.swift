import Foundation
import GRDB
import NoroshiHTTPClient
import NoroshiTesting
import Testing

/// Regression (issue 17, item 5): every photo copy job left about 6 KB behind for the daemon's life (the
/// dispatcher's task group kept each finished job's task). A real daemon makes copies of 1,500 distinct photos;
/// the anonymous memory it grows over the last 1,000 must stay below 3.5 KB a photo. What grows legitimately is
/// SQLite's page cache filling with the new rows, about 1.5 KB a photo until it reaches its cap.
@Suite struct PhotoJobMemoryTests {
    static func anonymousKB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    @Test func copyJobsLeaveNothingBehind() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        #expect(try await daemon.sendReport(token: field, key: "memory").status == 201)
        let base = try Data(contentsOf: FixtureFiles.photo("chiba-poultry-farm.jpg"))
        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        let queue = try DatabaseQueue(
            path: URL(fileURLWithPath: setup.dataDirectory).appendingPathComponent("noroshi.sqlite").path)
        func upload(_ range: Range<Int>) async throws {
            for number in range {
                // A JPEG comment after SOI makes each photo new (its own SHA-256, its own copy job).
                let comment = Data(String(format: "%012d", number).utf8)
                var photo = Data(base.prefix(2))
                photo.append(contentsOf: [0xFF, 0xFE, 0x00, UInt8(comment.count + 2)])
                photo.append(comment)
                photo.append(base.dropFirst(2))
                let answer = try await client.send(
                    HTTPRequest(
                        method: "POST", url: daemon.url + "/v1/reports/1/photos",
                        headers: [("Authorization", "Bearer \(field)"), ("Content-Type", "image/jpeg")], body: photo))
                try #require(answer.status == 201, "\(answer.status) \(answer.text)")
            }
            // Every copy made before memory is read.
            let deadline = Date().addingTimeInterval(120)
            while try await queue.read({ db in try Int.fetchOne(db, sql: "SELECT count(*) FROM photo_job") }) != 0,
                Date() < deadline
            {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        try await upload(0..<500)
        let before = Self.anonymousKB(daemon.process.processIdentifier)
        try await upload(500..<1500)
        let after = Self.anonymousKB(daemon.process.processIdentifier)
        let perPhoto = Double(after - before) / 1000
        #expect(before > 0 && perPhoto < 3.5, "anonymous memory grew \(after - before) KB over 1,000 copy jobs")
    }
}
