import Crypto
import Foundation
import NoroshiHTTPClient
import NoroshiLoopback
import NoroshiTesting
import Testing

/// A client that hangs up in the middle of its request (a field laptop losing its link) is routine, not an
/// internal error. Issue 17 (item 3) reports such hang-ups logged as internal errors; none of the six cases
/// here reproduces that on this build, and the test keeps it so.
@Suite struct DisconnectTests {
    @Test func clientsThatHangUpMidRequestAreNotLoggedAsErrors() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let log = setup.root.url.appendingPathComponent("daemon.log").path
        let daemon = try setup.tool.startDaemon(
            dataDirectory: setup.dataDirectory, environment: ["NOROSHI_LOG_LEVEL": "info"], logFile: log)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        let report = try await daemon.sendReport(token: field, key: "k1")
        #expect(report.status == 201, "\(report.text)")
        let reportID = try #require(
            (try JSONSerialization.jsonObject(with: report.body) as? [String: Any])
                .flatMap { $0["report"] as? [String: Any] }?["id"] as? Int)

        // A report body, a photo and a stream, each left half-way.
        let cuts: [(String, Int, Int)] = [
            ("POST /v1/reports", 2_000, 100),
            ("POST /v1/reports/\(reportID)/photos", 500_000, 60_000),
        ]
        for (line, length, sent) in cuts {
            let parts = line.split(separator: " ")
            let connection = try RawConnection(port: daemon.port)
            connection.send(
                "\(parts[0]) \(parts[1]) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(field)\r\n"
                    + "Content-Type: \(line.hasSuffix("photos") ? "image/jpeg" : "application/json")\r\n"
                    + "Content-Length: \(length)\r\n\r\n")
            connection.send(Data(repeating: 0x7B, count: sent))
            connection.close()
        }
        // A photo whose download is abandoned, an event stream closed, a resumable upload cut mid-chunk.
        let photo = try TestPhotos.noisy(width: 1600, height: 1200, seed: 9)
        let stored = try await client.send(
            HTTPRequest(
                method: "POST", url: daemon.url + "/v1/reports/\(reportID)/photos",
                headers: [("Authorization", "Bearer \(field)"), ("Content-Type", "image/jpeg")], body: photo))
        #expect(stored.status == 201, "\(stored.text)")
        let hq = try setup.token("hq", name: "HQ")
        let sha256 = SHA256.hash(data: photo).map { String(format: "%02x", $0) }.joined()
        for path in ["/v1/photos/\(sha256)", "/v1/events"] {
            let connection = try RawConnection(port: daemon.port)
            connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(hq)\r\n\r\n")
            _ = await connection.readAnswer(within: 0.3)
            connection.close()
        }
        let created = try await client.send(
            HTTPRequest(
                method: "POST", url: daemon.url + "/v1/uploads",
                headers: [
                    ("Authorization", "Bearer \(field)"), ("Tus-Resumable", "1.0.0"),
                    ("Upload-Length", "\(photo.count + 1)"),
                    ("Upload-Metadata", "report_id \(Data("\(reportID)".utf8).base64EncodedString())"),
                ]))
        if let location = created.header("Location") {
            let connection = try RawConnection(port: daemon.port)
            connection.send(
                "PATCH \(location) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(field)\r\n"
                    + "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
                    + "Content-Length: \(photo.count + 1)\r\n\r\n")
            connection.send(photo.prefix(100_000))
            connection.close()
        } else {
            Issue.record("tus create: \(created.status) \(created.text)")
        }

        // The daemon still answers, and its log (info and above) holds no error.
        let after = try await client.send(HTTPRequest(method: "GET", url: daemon.url + "/healthz"))
        #expect(after.status == 200)
        #expect(daemon.stop() == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let errors = text.split(separator: "\n").filter { $0.contains(" error ") || $0.contains("Internal error") }
        #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))")
    }
}

/// `noroshi serve` where it cannot listen. Regression (issue 17, item 9): on a port already in use it created
/// the data directory and the database first, then failed with the socket library's words.
@Suite struct BusyPortTests {
    @Test func serveOnAPortInUseSaysSoInOneLineAndCreatesNothing() throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let (listener, port) = try LoopbackSocket.listen()
        defer { close(listener) }
        let result = try setup.tool.run([
            "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", setup.dataDirectory,
        ])
        #expect(result.status == 1)
        #expect(
            result.errors
                == "noroshi: Port \(port) on 127.0.0.1 is already in use (is another noroshi serve running?); "
                + "choose another with --port or http.port.\n", "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: setup.dataDirectory))
    }
}
