import Foundation
import NoroshiChat
import NoroshiClient
import NoroshiCore
import NoroshiHTTPClient
import NoroshiLoopback
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Synchronization
import Testing

/// The Matrix connector against a real Synapse on loopback (scripts/synapse.sh). Serialized: one test stops
/// and starts the shared homeserver.
@Suite(.serialized) struct MatrixDeliveryTests {
    /// A fresh room with the bot invited, the tokens to read it, and the room's configuration.
    struct Room {
        let synapse: Synapse
        let id: String
        let hq: String
        let configuration: RoomConfiguration
    }

    static func room(limited: Bool = false, deviceID: String = "NOROSHI") async throws -> Room {
        let synapse = try await Synapse.shared()
        let hq = try await synapse.login("hq")
        let admin = try await synapse.login("admin")
        if limited {
            try await synapse.restoreRateLimit(for: "noroshi", adminToken: admin)
        } else {
            try await synapse.liftRateLimit(for: "noroshi", adminToken: admin)
        }
        let id = try await synapse.createRoom(token: hq, invite: ["noroshi"])
        let configuration = RoomConfiguration(
            name: "hq",
            connector: .matrix(
                homeserver: synapse.url, room: id,
                authentication: .password(user: "noroshi", password: Secret(value: Synapse.password, origin: "test")),
                deviceID: deviceID),
            messagesPerSecond: 0)
        return Room(synapse: synapse, id: id, hq: hq, configuration: configuration)
    }

    static func configure(_ configuration: inout NoroshiConfiguration, room: RoomConfiguration, gather: Double = 0) {
        configuration.chat.rooms = [room]
        configuration.chat.outbox.gather = gather
        configuration.chat.outbox.maxAttempts = 1000
        configuration.chat.retryBase = .milliseconds(100)
        configuration.chat.retryMax = .milliseconds(500)
        configuration.chat.http.timeout = .seconds(5)
    }

    /// Runs the daemon with `room` as its only chat room.
    static func serve(
        _ room: RoomConfiguration, gather: Double = 0, clock: any WallClock = SystemClock(),
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        let configure: (inout NoroshiConfiguration) -> Void = { Self.configure(&$0, room: room, gather: gather) }
        try await TestServer.run(clock: clock, configure: configure, body)
    }

    static func report(_ server: TestServer, token: String, at position: (Double, Double) = (36.1461, 137.2522))
        async throws -> ReportReceipt
    {
        let response = try await server.request(
            "POST", "/v1/reports", token: token,
            body: """
                {"client_key": "\(UUID().uuidString)", "kind": "fire", "latitude": \(position.0),
                 "longitude": \(position.1), "place": "高山市上岡本町", "text": "Smoke from a barn roof"}
                """)
        #expect(response.status == 201)
        return try response.decode(ReportReceipt.self)
    }

    /// The bot's events of one msgtype.
    static func posted(_ room: Room, _ msgtype: String) async throws -> [[String: Any]] {
        try await room.synapse.messages(room: room.id, token: room.hq).filter { event in
            event["sender"] as? String == "@noroshi:\(Synapse.serverName)"
                && (event["content"] as? [String: Any])?["msgtype"] as? String == msgtype
        }
    }

    static func body(_ event: [String: Any]) -> String {
        (event["content"] as? [String: Any])?["body"] as? String ?? ""
    }

    /// Whether, within 20 s, `count` messages wait and the first has been tried at least twice.
    static func retrying(_ server: TestServer, count: Int) async -> Bool {
        await server.eventually {
            let pending = (try? await server.store.outboxMessages(.pending)) ?? []
            return pending.count == count && (pending.first?.attempts ?? 0) >= 2
        }
    }

    /// Prints the outbox, to see why a test failed.
    static func dump(_ server: TestServer) async {
        let messages = (try? await server.store.outboxMessages(OutboxFilter())) ?? []
        for message in messages {
            print("outbox \(message.id) \(message.state) attempts \(message.attempts) \(message.lastError ?? "")")
        }
    }

    static func idle(_ server: TestServer) async -> Bool {
        let pending = (try? await server.store.outboxMessages(.pending).count) ?? 1
        let events = (try? await server.store.outboxCounts()[.queued]) ?? 1
        return pending == 0 && events == 0
    }

    @Test func aNewIncidentPostsOneMessageWithItsPhotoAndAStatusChangeOneMore() async throws {
        let room = try await Self.room()
        // The gathering window runs on a clock the test moves, so a slow upload on a busy machine cannot miss it.
        let clock = ManualClock(Date())
        try await Self.serve(room.configuration, gather: 2, clock: clock) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let receipt = try await Self.report(server, token: field)
            let upload = try await server.attachFixturePhoto("hida-fire.jpg", toReport: receipt.report.id, token: field)
            #expect(upload.status == 201)
            clock.advance(by: 2)
            #expect(await server.eventually { (try? await Self.posted(room, "m.image").count) == 1 })
            let texts = try await Self.posted(room, "m.text")
            #expect(texts.count == 1)
            let content = try #require(texts.first?["content"] as? [String: Any])
            #expect((content["body"] as? String)?.hasPrefix("【火災】\(receipt.incident.number) 新規発生・写真追加 1枚") == true)
            #expect(content["format"] as? String == "org.matrix.custom.html")
            #expect((content["formatted_body"] as? String)?.hasPrefix("<b>【火災】") == true)
            let image = try #require(try await Self.posted(room, "m.image").first?["content"] as? [String: Any])
            let info = try #require(image["info"] as? [String: Any])
            #expect(info["mimetype"] as? String == "image/jpeg" && info["w"] as? Int == 160)
            let jpeg = try await room.synapse.download(try #require(image["url"] as? String), token: room.hq)
            #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]) && jpeg.count == info["size"] as? Int)
            let delivered = try await server.store.outboxMessages(OutboxFilter(states: [.delivered]))
            #expect(delivered.first?.remoteID == texts.first?["event_id"] as? String)

            let change = try await server.request(
                "PATCH", "/v1/incidents/\(receipt.incident.number)", token: hq, body: #"{"status": "confirmed"}"#)
            #expect(change.status == 200)
            #expect(await server.eventually { (try? await Self.posted(room, "m.text").count) == 2 })
            #expect(await server.eventually { await Self.idle(server) })
            let all = try await Self.posted(room, "m.text")
            #expect(all.count == 2 && Self.body(all[1]).contains("状況変更 → 確認済み"))
            #expect(try await Self.posted(room, "m.image").count == 2)  // the photo goes with every summary
        }
    }

    @Test func messagesWaitWhileTheHomeserverIsDownAndArriveOnceWhenItIsBack() async throws {
        let room = try await Self.room()
        try await Self.serve(room.configuration) { server in
            let field = try await server.token(.field)
            // One message before the outage, so the connector is logged in and has joined.
            _ = try await Self.report(server, token: field, at: (36.0, 137.0))
            #expect(await server.eventually { (try? await Self.posted(room, "m.text").count) == 1 })
            try room.synapse.stop()
            var numbers: [String] = []
            for index in 0..<3 {
                numbers.append(
                    try await Self.report(server, token: field, at: (36.1 + Double(index), 137.0)).incident.number)
            }
            // The first of them is retried (the room goes in order), with the reason kept.
            let retrying = await Self.retrying(server, count: 3)
            #expect(retrying, "The messages should be retried while the homeserver is down")
            if !retrying { await Self.dump(server) }
            let waiting = try await server.store.outboxMessages(.pending)
            #expect(waiting.first?.lastError?.contains("could not be reached") == true)
            try room.synapse.start()
            #expect(await server.eventually(seconds: 30) { await Self.idle(server) })
            let texts = try await Self.posted(room, "m.text").map(Self.body)
            #expect(texts.count == 4)
            for number in numbers {
                #expect(texts.filter { $0.contains(number) }.count == 1, "\(number) should arrive exactly once")
            }
        }
    }

    @Test func aBadTokenIsADeadLetterWithTheReason() async throws {
        let room = try await Self.room()
        var configuration = room.configuration
        configuration.connector = .matrix(
            homeserver: room.synapse.url, room: room.id,
            authentication: .accessToken(Secret(value: "syt_not_a_real_token", origin: "test")), deviceID: "NOROSHI")
        try await Self.serve(configuration) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let receipt = try await Self.report(server, token: field)
            #expect(await server.eventually { (try? await server.store.outboxMessages(.failed).count) == 1 })
            let dead = try #require(try await server.store.outboxMessages(.failed).first)
            #expect(dead.attempts == 1 && dead.incidentNumber == receipt.incident.number)
            #expect(dead.lastError?.hasPrefix("Joining \(room.id): M_UNKNOWN_TOKEN") == true)

            // What an operator sees.
            let home = try TemporaryDirectory()
            defer { home.remove() }
            let cli = CommandLineTool(home: home.url)
            let result = try await cli.runInBackground([
                "outbox", "--failed", "--server", server.baseURL, "--token", hq,
            ])
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.output.contains("1 dead"))
            #expect(result.output.contains(receipt.incident.number))
            #expect(
                result.output.contains("\(dead.id): Joining \(room.id): M_UNKNOWN_TOKEN (Invalid access token passed.)")
            )
            #expect(try await Self.posted(room, "m.text").isEmpty)
        }
    }

    @Test func rateLimitedMessagesAreRetriedAfterTheServersWait() async throws {
        let room = try await Self.room(limited: true, deviceID: "NOROSHI-LIMITED")
        let admin = try await room.synapse.login("admin")
        try await Self.serve(room.configuration) { server in
            let field = try await server.token(.field)
            // Synapse lets a user send a burst of 10, then 0.2 a second.
            for index in 0..<14 {
                _ = try await Self.report(server, token: field, at: (30.0 + Double(index) * 0.1, 137.0))
            }
            #expect(
                await server.eventually(seconds: 30) {
                    let pending = (try? await server.store.outboxMessages(.pending)) ?? []
                    return pending.contains { $0.lastError?.contains("M_LIMIT_EXCEEDED") == true }
                })
            // Lift the limit so the test need not wait minutes; the waiting messages go on their next try.
            try await room.synapse.liftRateLimit(for: "noroshi", adminToken: admin)
            #expect(await server.eventually(seconds: 60) { await Self.idle(server) })
            let texts = try await Self.posted(room, "m.text").map(Self.body)
            #expect(texts.count == 14 && Set(texts).count == 14, "\(texts.count) posted, \(Set(texts).count) distinct")
            // The homeserver asked them to wait (retry_after_ms): they waited, and that was not a failed attempt.
            let delivered = try await server.store.outboxMessages(OutboxFilter(states: [.delivered]))
            let waited = delivered.filter { $0.lastError?.contains("M_LIMIT_EXCEEDED") == true }
            #expect(!waited.isEmpty)
            #expect(waited.allSatisfy { $0.attempts == 1 && $0.lastError?.contains("not counted") == true })
        }
    }

    /// The real daemon talks to Synapse through a loopback proxy (`chat.http.proxy`). The proxy passes the first
    /// send on to Synapse and, before the answer can come back, kills the daemon with SIGKILL: the message is in
    /// the room but the outbox never heard. After a restart the daemon sends it again under the same transaction
    /// id, and Synapse answers with the event it already has.
    @Test func aDaemonKilledBetweenSendAndAcknowledgementDoesNotPostTwice() async throws {
        let room = try await Self.room()
        let root = try TemporaryDirectory(prefix: "noroshi-crash")
        defer { root.remove() }
        let tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
        let data = root.url.appendingPathComponent("data").path
        let proxy = try CrashingProxy()
        defer { proxy.server.stop() }
        let passwordFile = root.url.appendingPathComponent("matrix-password").path
        try Synapse.password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let config = root.url.appendingPathComponent("noroshi.yaml").path
        try """
        chat:
          gather_seconds: 0
          retry_base_seconds: 0.1
          retry_max_seconds: 0.5
          http: {proxy: "\(proxy.server.url(""))"}
          rooms:
            hq:
              type: matrix
              homeserver: \(room.synapse.url)
              room: "\(room.id)"
              user: noroshi
              password_file: \(passwordFile)
              messages_per_second: 0
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let tokens = try ["field", "hq"].map { role in
            let result = try tool.run([
                "token", "create", "--role", role, "--name", role, "--data-dir", data, "--json", "--init",
            ])
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            return try #require(object?["secret"] as? String)
        }
        let client = HTTPClient()

        let first = try tool.startDaemon(dataDirectory: data, config: config)
        proxy.arm(killing: first.process.processIdentifier)
        let report = try await client.send(
            HTTPRequest(
                method: "POST", url: first.url + "/v1/reports",
                headers: [("Authorization", "Bearer \(tokens[0])"), ("Content-Type", "application/json")],
                body: Data(
                    #"{"client_key": "crash-1", "kind": "fire", "latitude": 36.1, "longitude": 137.2, "text": "Smoke"}"#
                        .utf8)))
        #expect(report.status == 201)
        first.process.waitUntilExit()
        #expect(first.process.endedBySignal)
        let before = try await Self.posted(room, "m.text")
        #expect(before.count == 1)  // Synapse has it; the daemon died before it heard so

        let second = try tool.startDaemon(dataDirectory: data, port: first.port, config: config)
        defer { second.stop() }
        var delivered: [OutboxMessage] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let answer = try await client.send(
                HTTPRequest(
                    method: "GET", url: second.url + "/v1/outbox?state=delivered",
                    headers: [("Authorization", "Bearer \(tokens[1])")]))
            delivered = try answer.decode(OutboxList.self).messages
            if !delivered.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let after = try await Self.posted(room, "m.text")
        #expect(after.count == 1, "the retry after the crash must not post a second message")
        #expect(delivered.count == 1 && delivered.first?.remoteID == before.first?["event_id"] as? String)
        let sends = proxy.sends
        #expect(sends.count == 2 && Set(sends).count == 1)  // the same transaction id both times
    }
}

/// A forward proxy for plain HTTP that passes requests on with libcurl and, once armed, kills a process right
/// after the first message send reached the homeserver, then hangs up instead of answering.
final class CrashingProxy: Sendable {
    private let state = Shared()
    let server: LoopbackHTTPServer

    private final class Shared: Sendable {
        struct Value {
            var victim: Int32?
            var sends: [String] = []
        }
        let value = Mutex(Value())
    }

    init() throws {
        let state = state
        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        server = try LoopbackHTTPServer { request in
            var headers: [(String, String)] = []
            for name in ["authorization", "content-type"] {
                if let value = request.headers[name] { headers.append((name, value)) }
            }
            let forwarded: HTTPResponse
            do {
                forwarded = try client.perform(
                    HTTPRequest(method: request.method, url: request.target, headers: headers, body: request.body))
            } catch {
                return .close
            }
            let isSend = request.method == "PUT" && request.target.contains("/send/m.room.message/")
            let victim: Int32? = state.value.withLock { value in
                guard isSend else { return nil }
                value.sends.append(String(request.target.split(separator: "/").last ?? ""))
                defer { value.victim = nil }
                return value.victim
            }
            if let victim {
                kill(victim, SIGKILL)
                return .close
            }
            let type = forwarded.header("Content-Type") ?? "application/json"
            return .respond(status: forwarded.status, headers: [("Content-Type", type)], body: forwarded.body)
        }
    }

    /// Kills `pid` after the next send.
    func arm(killing pid: Int32) { state.value.withLock { $0.victim = pid } }

    /// The transaction ids of the sends seen, in order.
    var sends: [String] { state.value.withLock { $0.sends } }
}
