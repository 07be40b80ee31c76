import Foundation
import NoroshiHTTPClient
import NoroshiServer
import NoroshiTesting
import Testing

/// Slow, idle and malformed clients against the real daemon (issue 17, items 3 and 4). Regressions: half-sent
/// headers, an idle keep-alive connection and a stalled body were each held open for ever, and malformed HTTP
/// got 400 with an empty body. Time limits on reads only guard against a hang; nothing here measures speed.
@Suite struct SlowClientTests {
    /// One-second timeouts, so that each case ends quickly.
    static func strict(_ configuration: inout NoroshiConfiguration) {
        configuration.connectionLimits.headerTimeout = .seconds(1)
        configuration.connectionLimits.idleTimeout = .seconds(1)
        configuration.connectionLimits.bodyTimeout = .seconds(1)
    }

    static func fourPerAddress(_ configuration: inout NoroshiConfiguration) {
        configuration.connectionLimits.maxConnectionsPerAddress = 4
    }

    @Test func halfSentHeadersGet408AndTheConnectionCloses() async throws {
        try await TestServer.run(configure: Self.strict) { server in
            let (answer, closed) = try await RawConnection.exchange(
                port: server.port, "POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
            #expect(closed)
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(
                answer.contains(#""code":"malformed""#) && answer.contains("did not arrive within 1 s"), "\(answer)")
        }
    }

    @Test func anIdleKeptAliveConnectionIsClosedQuietly() async throws {
        try await TestServer.run(configure: Self.strict) { server in
            let (answer, closed) = try await RawConnection.exchange(
                port: server.port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(closed)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
            #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer only: \(answer)")
        }
    }

    @Test func aStalledBodyIsCutOffAndStoresNothing() async throws {
        try await TestServer.run(configure: Self.strict) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let body = APITests.report()
            let (_, closed) = try await RawConnection.exchange(
                port: server.port,
                "POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(field)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                    + String(body.prefix(20)))
            #expect(closed)
            let list = try await server.request("GET", "/v1/incidents", token: hq)
            #expect(list.status == 200 && !list.text.contains(#""number""#), "\(list.text)")
        }
    }

    /// The timeouts count silence, not length: a photo through a 256 kbit/s link takes several times the
    /// timeouts and arrives. (Three seconds here, not one: on a loaded two-core machine the proxy's threads
    /// were once kept from sending for over a second, which is a stall, not a slow link.)
    @Test func aSlowButSteadyUploadPasses() async throws {
        try await TestServer.run(configure: Self.threeSeconds) { server in
            let field = try await server.token(.field)
            let report = try await PhotoAPITests.makeReport(server, token: field)
            let photo = try TestPhotos.noisy(width: 800, height: 560, seed: 5)
            #expect(photo.count > 200_000)
            let proxy = try ShapingProxy(upstreamPort: server.port, shape: .init(bytesPerSecond: 32_000))
            defer { proxy.stop() }
            let started = Date()
            let answer = try await HTTPClient(configuration: .init(timeout: .seconds(120))).send(
                HTTPRequest(
                    method: "POST", url: proxy.url + "/v1/reports/\(report)/photos",
                    headers: [("Content-Type", "image/jpeg"), ("Authorization", "Bearer \(field)")], body: photo))
            #expect(answer.status == 201, "\(answer.text)")
            #expect(Date().timeIntervalSince(started) > 6, "the link was not slow enough to test anything")
        }
    }

    static func threeSeconds(_ configuration: inout NoroshiConfiguration) {
        configuration.connectionLimits.headerTimeout = .seconds(3)
        configuration.connectionLimits.idleTimeout = .seconds(3)
        configuration.connectionLimits.bodyTimeout = .seconds(3)
    }

    @Test func oneAddressGetsAtMostItsShareOfConnections() async throws {
        // Idle connections are kept a minute here, so the four stay open however loaded the machine is.
        try await TestServer.run(configure: Self.fourPerAddress) { server in
            var held: [RawConnection] = []
            for _ in 0..<4 {
                let connection = try RawConnection(port: server.port)
                connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let (answer, _) = await connection.readAnswer(within: 30)
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
                held.append(connection)
            }
            let fifth = try RawConnection(port: server.port)
            let (refused, closed) = await fifth.readUntilClosed(within: 30)
            #expect(closed)
            #expect(refused.hasPrefix("HTTP/1.1 503") && refused.contains("Too many connections"), "\(refused)")
            for connection in held { connection.close() }
            // Once they are gone, the address may connect again.
            let again = await server.eventually {
                guard let connection = try? RawConnection(port: server.port) else { return false }
                connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return await connection.readAnswer(within: 10).text.hasPrefix("HTTP/1.1 200")
            }
            #expect(again)
        }
    }

    @Test(arguments: [
        (
            "two Content-Lengths",
            "POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "Content-Length is invalid or given more than once"
        ),
        ("a request line of garbage", "\u{01}\u{02}GARBAGE\r\n\r\n", "does not start with an HTTP method"),
        (
            "a 2 MB header",
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + String(repeating: "a", count: 2 << 20)
                + "\r\n\r\n",
            "headers are too large"
        ),
    ])
    func malformedHTTPGetsTheErrorEnvelope(what: String, request: String, message: String) async throws {
        try await TestServer.run { server in
            // The sending may stop early: the server answers and closes before 2 MB are in.
            let (answer, closed) = try await RawConnection.exchange(port: server.port, request)
            #expect(closed, "\(what)")
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(what): \(answer.prefix(300))")
            #expect(answer.contains("Content-Type: application/json"), "\(what): \(answer.prefix(300))")
            #expect(
                answer.contains(#""code":"malformed""#) && answer.contains(message), "\(what): \(answer.prefix(300))")
        }
    }
}
