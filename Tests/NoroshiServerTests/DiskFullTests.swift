import Crypto
import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer
import NoroshiTesting
import Testing

/// A disk that fills up (issue 17, item 5), on a real small tmpfs mounted for each test (the suite runs as root,
/// as CI does). Regression: a full disk was answered "The database is not available.", which sends an
/// operator after the wrong problem.
@Suite(.serialized) struct DiskFullTests {
    static func run(_ arguments: [String]) throws -> Int32 {
        try ChildProcess.run(arguments[0], Array(arguments.dropFirst()))
    }

    /// Runs `body` with the path of a tmpfs of `megabytes` mounted for it, unmounted afterwards.
    static func withSmallDisk(megabytes: Int, _ body: (String) async throws -> Void) async throws {
        let mountPoint = try TemporaryDirectory(prefix: "noroshi-full")
        defer { mountPoint.remove() }
        try #require(
            try run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", mountPoint.path]) == 0,
            "this test mounts a small tmpfs, which needs root")
        defer { _ = try? run(["/bin/umount", "-l", mountPoint.path]) }
        try await body(mountPoint.path)
    }

    /// Fills `mountPoint` with a file, then gives back `spare` bytes of it; returns the file's path.
    static func fill(_ mountPoint: String, leaving spare: Int) throws -> String {
        let filler = mountPoint + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: filler))
        let chunk = Data(count: 64 << 10)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - UInt64(min(spare, Int(size))))
        try handle.close()
        return filler
    }

    /// Copies that met a full disk are made by themselves once space returns. Regression: such a job waited for
    /// the next start of the daemon.
    @Test func copiesThatMetAFullDiskAreMadeOnceSpaceReturns() async throws {
        try await Self.withSmallDisk(megabytes: 16) { mountPoint in
            let data = mountPoint + "/data"
            let onTheSmallDisk: (inout NoroshiConfiguration) -> Void = {
                $0.dataDirectory = data
                $0.photoDiskFullRetry = .milliseconds(500)
            }
            try await TestServer.run(configure: onTheSmallDisk) { server in
                let field = try await server.token(.field)
                let report = try await PhotoAPITests.makeReport(server, token: field)
                // A noisy photo: its 1280 px copy is hundreds of KB, far more than the 160 KB left beside it.
                let photo = try TestPhotos.noisy(width: 2000, height: 1500, seed: 11)
                let filler = try Self.fill(mountPoint, leaving: photo.count + 160_000)
                let upload = try await server.upload("/v1/reports/\(report)/photos", token: field, data: photo)
                try #require(upload.status == 201, "the original did not fit: \(upload.status) \(upload.text)")
                let sha256 = SHA256.hash(data: photo).map { String(format: "%02x", $0) }.joined()
                let chat = URL(fileURLWithPath: data + "/photos/\(sha256.prefix(2))/\(sha256).chat.jpg").path
                // Give the job time to meet the full disk (and retry against it) before space returns.
                try await Task.sleep(for: .seconds(2))
                #expect(!FileManager.default.fileExists(atPath: chat), "the copy fitted; the test proves nothing")
                try FileManager.default.removeItem(atPath: filler)
                let made = await server.eventually(seconds: 30) { FileManager.default.fileExists(atPath: chat) }
                #expect(made, "the copies were not made after space returned")
            }
        }
    }

    @Test func aFullDiskIsSaidPlainlyStoresExactlyWhatWasAcknowledgedAndPassesWhenSpaceReturns() async throws {
        try await Self.withSmallDisk(megabytes: 4) { mountPoint in
            let data = mountPoint + "/data"
            let onTheSmallDisk: (inout NoroshiConfiguration) -> Void = { $0.dataDirectory = data }
            try await TestServer.run(configure: onTheSmallDisk) { server in
                let field = try await server.token(.field)
                let hq = try await server.token(.hq)
                let first = try await server.request("POST", "/v1/reports", token: field, body: APITests.report())
                #expect(first.status == 201)
                let number = try first.decode(ReportReceipt.self).incident.number

                // Everything left goes to a filler file.
                let filler = try Self.fill(mountPoint, leaving: 0)

                // Reports go on until their log can no longer grow; the first refusal says why.
                var acknowledged = 1
                var refused: HTTPResponse?
                for _ in 0..<2000 {
                    let answer = try await server.request("POST", "/v1/reports", token: field, body: APITests.report())
                    if answer.status == 201 {
                        acknowledged += 1
                    } else {
                        refused = answer
                        break
                    }
                }
                let refusal = try #require(refused, "2000 reports fitted on a full disk")
                #expect(refusal.status == 507, "\(refusal.status) \(refusal.text)")
                #expect(
                    refusal.text.contains(#""code":"insufficient_storage""#) && refusal.text.contains("disk is full"))
                let photo = try await server.attachFixturePhoto("hida-fire.jpg", toReport: 1, token: field)
                #expect(photo.status == 507 && photo.text.contains("disk is full"), "\(photo.status) \(photo.text)")
                let health = try await server.request("GET", "/healthz")
                #expect(health.status == 507 && health.text.contains(#""status":"disk_full""#), "\(health.text)")
                let incoming = (try? FileManager.default.contentsOfDirectory(atPath: data + "/photos/incoming")) ?? []
                #expect(incoming.isEmpty, "half-written: \(incoming)")

                // Space returns: the next report and the health check pass, and what is stored is what was answered 201.
                try FileManager.default.removeItem(atPath: filler)
                let again = try await server.request("POST", "/v1/reports", token: field, body: APITests.report())
                #expect(again.status == 201, "\(again.text)")
                #expect(try await server.request("GET", "/healthz").status == 200)
                let incident = try await server.request("GET", "/v1/incidents/\(number)", token: hq)
                let object = try JSONSerialization.jsonObject(with: incident.body) as? [String: Any]
                let stored =
                    (object?["incident"] as? [String: Any])?["report_count"] as? Int
                    ?? (object?["report_count"] as? Int)
                #expect(
                    stored == acknowledged + 1, "stored \(String(describing: stored)), acknowledged \(acknowledged + 1)"
                )
            }
        }
    }
}
