import Foundation
import Logging
import NoroshiChat
import NoroshiClient
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer
import NoroshiStorage
import ServiceLifecycle

/// The real daemon, on a real port chosen by the kernel, over a real SQLite file in a temporary directory.
///
/// ```swift
/// try await TestServer.run { server in
///     let hq = try await server.token(.hq)
///     let response = try await server.request("GET", "/v1/incidents", token: hq)
/// }
/// ```
public struct TestServer: Sendable {
    public let port: Int
    public let store: Store
    public let configuration: NoroshiConfiguration
    /// Rings a chat room's delivery loop, e.g. after a test moved a ``ManualClock`` past a message's wait.
    public let chatWakeups: OutboxWakeups
    public let client = HTTPClient(configuration: .init(timeout: .seconds(30)))

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the daemon, runs `body`, then shuts the daemon down gracefully and removes its data.
    public static func run<T: Sendable>(
        clock: any WallClock = SystemClock(),
        configure: (inout NoroshiConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = NoroshiConfiguration()
        configuration.dataDirectory = directory.path
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        var logger = Logger(label: "noroshi.test")
        logger.logLevel = .warning
        let daemon = try Daemon(configuration: configuration, clock: clock, logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(
            configuration: .init(
                services: daemon.services { port in portContinuation.yield(port) }, gracefulShutdownSignals: [],
                logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NoroshiError(.internal, "The server did not start.") }
            let server = TestServer(
                port: port, store: daemon.store, configuration: configuration, chatWakeups: daemon.chatWakeups)
            do {
                let result = try await body(server)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// A new token with `role`, created directly in the store.
    public func token(_ role: Role, name: String? = nil) async throws -> String {
        try await store.createToken(name: name ?? "test \(role.rawValue)", role: role).secret
    }

    /// Sends a request with an optional bearer token and a raw body.
    public func request(
        _ method: String,
        _ path: String,
        token: String? = nil,
        body: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> HTTPResponse {
        var all = headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        if body != nil { all.append(("Content-Type", "application/json")) }
        return try await client.send(
            HTTPRequest(method: method, url: baseURL + path, headers: all, body: body.map { Data($0.utf8) }))
    }
}

extension TestServer {
    /// Sends raw bytes (a photo, say) with a content type.
    public func upload(
        _ path: String, token: String?, data: Data, contentType: String = "image/jpeg",
        headers extra: [(String, String)] = []
    ) async throws -> HTTPResponse {
        var headers = [("Content-Type", contentType)] + extra
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await client.send(HTTPRequest(method: "POST", url: baseURL + path, headers: headers, body: data))
    }

    /// Attaches `Fixtures/photos/NAME` to a report.
    public func attachFixturePhoto(_ name: String, toReport reportID: Int64, token: String) async throws
        -> HTTPResponse
    {
        try await upload(
            "/v1/reports/\(reportID)/photos", token: token, data: try Data(contentsOf: FixtureFiles.photo(name)))
    }

    /// Waits (up to `seconds`) until `condition` holds, checking every 50 ms; returns whether it did.
    public func eventually(seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}

extension HTTPResponse {
    /// The body decoded with Noroshi's wire format.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder.noroshi().decode(type, from: body)
    }

    /// The `error.code` and `error.message` of an error response.
    public var error: (code: String, message: String)? {
        guard let envelope = try? JSONDecoder().decode(ErrorBody.self, from: body) else { return nil }
        return (envelope.error.code, envelope.error.message)
    }
}
