import Crypto
import Foundation
import NoroshiChat
import NoroshiClient
import NoroshiCore
import NoroshiHTTPClient
import NoroshiLoopback
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// The real daemon delivering to webhook rooms served by a loopback receiver that fails on purpose.
@Suite struct WebhookDeliveryTests {
    static let secret = "correct horse battery staple"

    /// A daemon whose chat rooms are `rooms`; retries are quick and the HTTP timeout short.
    static func run(
        rooms: [RoomConfiguration],
        routes: [ChatRoute]? = nil,
        gather: TimeInterval = 0,
        timeout: Duration = .seconds(1),
        clock: any WallClock = SystemClock(),
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        let configure: (inout NoroshiConfiguration) -> Void = { configuration in
            configuration.chat.rooms = rooms
            configuration.chat.routes = routes
            configuration.chat.outbox.gather = gather
            configuration.chat.outbox.maxAttempts = 6
            configuration.chat.retryBase = .milliseconds(50)
            configuration.chat.retryMax = .milliseconds(200)
            configuration.chat.http.timeout = timeout
            configuration.chat.boardURL = "https://noroshi.example.lg.jp"
        }
        try await TestServer.run(clock: clock, configure: configure, body)
    }

    static func webhook(_ receiver: WebhookReceiver, name: String = "logo", pace: Double = 0) -> RoomConfiguration {
        RoomConfiguration(
            name: name,
            connector: .webhook(url: receiver.url(), secret: Secret(value: secret, origin: "test"), sendImage: true),
            messagesPerSecond: pace)
    }

    static func report(
        _ server: TestServer, token: String, kind: String = "fire", exercise: Bool = false,
        at position: (Double, Double) = (36.1461, 137.2522)
    ) async throws -> ReportReceipt {
        let exerciseField = exercise ? #", "exercise": true"# : ""
        let response = try await server.request(
            "POST", "/v1/reports", token: token,
            body: """
                {"client_key": "\(UUID().uuidString)", "kind": "\(kind)", "latitude": \(position.0),
                 "longitude": \(position.1), "place": "高山市上岡本町", "text": "Smoke from a barn roof",
                 "casualties": {"injured": 2}\(exerciseField)}
                """)
        #expect(response.status == 201)
        return try response.decode(ReportReceipt.self)
    }

    static func json(_ request: LoopbackHTTPServer.Request) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: request.body) as? [String: Any])
    }

    static func pending(_ server: TestServer) async throws -> Int {
        try await server.store.outboxMessages(.pending).count + (try await server.store.outboxCounts()[.queued] ?? 0)
    }

    @Test func signedWebhookCarriesTheSummaryAndThePhoto() async throws {
        let receiver = try WebhookReceiver()
        // The gathering window runs on a clock the test moves, so a slow upload cannot miss it.
        let clock = ManualClock(Date())
        try await Self.run(rooms: [Self.webhook(receiver)], gather: 5, clock: clock) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let receipt = try await Self.report(server, token: field)
            let upload = try await server.attachFixturePhoto("hida-fire.jpg", toReport: receipt.report.id, token: field)
            #expect(upload.status == 201)
            #expect(
                await server.eventually {
                    (try? await server.store.outboxMessages(.pending).map(\.reasons)) == [[.opened, .photoAdded]]
                })
            #expect(receiver.requests.isEmpty)
            clock.advance(by: 5)
            server.chatWakeups.wake(room: "logo")
            #expect(await server.eventually { receiver.requests.count == 1 })

            let first = receiver.requests[0]
            #expect(first.method == "POST" && first.target == "/hook")
            #expect(first.headers["content-type"] == "application/json; charset=utf-8")
            let timestamp = try #require(first.headers["x-noroshi-timestamp"].flatMap { Int($0) })
            #expect(abs(Double(timestamp) - Date().timeIntervalSince1970) < 60)
            // The receiver's side of the signature: HMAC-SHA256 over "<timestamp>." + body.
            var signed = Data("\(timestamp).".utf8)
            signed.append(first.body)
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(Self.secret.utf8)))
            #expect(first.headers["x-noroshi-signature"] == "v1=" + mac.map { String(format: "%02x", $0) }.joined())

            let body = try Self.json(first)
            let summary = try #require(body["summary"] as? [String: Any])
            #expect(body["id"] as? String == first.headers["x-noroshi-delivery"])
            #expect(body["event"] as? String == "incident.summary")
            #expect(summary["number"] as? String == receipt.incident.number)
            #expect(summary["reasons"] as? [String] == ["opened", "photo_added"])
            #expect(summary["photo_count"] as? Int == 1 && summary["report_count"] as? Int == 1)
            let text = try #require(body["text"] as? String)
            #expect(text.hasPrefix("【火災】\(receipt.incident.number) 新規発生・写真追加 1枚\n"))
            #expect(text.contains("人的被害 死者 未確認・行方不明者 未確認・負傷者 2"))
            #expect(body["link"] as? String == "https://noroshi.example.lg.jp/incidents/\(receipt.incident.number)")
            let image = try #require(body["image"] as? [String: Any])
            let jpeg = try #require((image["data"] as? String).flatMap { Data(base64Encoded: $0) })
            #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
            #expect(image["content_type"] as? String == "image/jpeg" && image["width"] as? Int == 160)

            // A status change makes exactly one more message.
            let change = try await server.request(
                "PATCH", "/v1/incidents/\(receipt.incident.number)", token: hq, body: #"{"status": "responding"}"#)
            #expect(change.status == 200)
            #expect(await server.eventually { receiver.requests.count == 2 })
            let second = try Self.json(receiver.requests[1])
            #expect((second["summary"] as? [String: Any])?["reasons"] as? [String] == ["status_changed"])
            #expect((second["text"] as? String)?.contains("状況変更 → 対応中") == true)
            #expect(receiver.requests[1].headers["x-noroshi-delivery"] != first.headers["x-noroshi-delivery"])
            // The receiver has it before the outcome is committed.
            #expect(await server.eventually { (try? await Self.pending(server)) == 0 })
            let delivered = try await server.store.outboxMessages(OutboxFilter(states: [.delivered]))
            #expect(delivered.count == 2 && receiver.requests.count == 2)
        }
    }

    @Test func failuresAreRetriedUnderTheSameDeliveryID() async throws {
        let receiver = try WebhookReceiver()
        receiver.script([
            .respond(status: 500, body: Data("database is locked".utf8)),
            // Hanging up after the answer puts the next attempt on a fresh connection: libcurl quietly resends a
            // request that a reused connection dropped, so only there is a closed connection a failed attempt.
            .hangUpAfter(.respond(status: 429, headers: [("Retry-After", "1")])),
            .close,
            .delay(.seconds(8), then: .respond(status: 200)),  // longer than the 4 s timeout
        ])
        // A 4 s timeout, not 1 s: on a loaded CI machine an answered attempt took over a second and counted as a
        // timed-out one too (5 attempts, not 4).
        try await Self.run(rooms: [Self.webhook(receiver)], timeout: .seconds(4)) { server in
            let field = try await server.token(.field)
            _ = try await Self.report(server, token: field)
            #expect(
                await server.eventually {
                    (try? await server.store.outboxMessages(OutboxFilter(states: [.delivered])).count) == 1
                })
            let requests = receiver.requests
            #expect(requests.count == 5)
            #expect(Set(requests.map { $0.headers["x-noroshi-delivery"] ?? "" }).count == 1)
            #expect(Set(requests.map(\.body)).count == 1)  // the same frozen message every time
            // Retry-After: 1 was honoured (the backoff alone would have waited at most 0.2 s).
            #expect(requests[2].receivedAt.timeIntervalSince(requests[1].receivedAt) >= 0.95)
            let message = try #require(try await server.store.outboxMessages(OutboxFilter()).first)
            // Four failed attempts: the 429 with Retry-After asked to wait and is not counted as one.
            #expect(message.attempts == 4 && message.state == .delivered, "\(message.attempts) attempts")
        }
    }

    @Test func aPermanentFailureIsDeadLetteredUntilRetriedByHand() async throws {
        let receiver = try WebhookReceiver()
        receiver.otherwise(.respond(status: 404, body: Data("no_service".utf8)))
        let room = RoomConfiguration(
            name: "fire-slack",
            connector: .slack(url: Secret(value: receiver.url("/services/T0/B0/x"), origin: "test")),
            messagesPerSecond: 0)
        try await Self.run(rooms: [room]) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let receipt = try await Self.report(server, token: field)
            #expect(await server.eventually { (try? await server.store.outboxMessages(.failed).count) == 1 })
            #expect(receiver.requests.count == 1)  // 404 is not retried

            let listed = try await server.request("GET", "/v1/outbox?state=failed", token: hq)
            let list = try listed.decode(OutboxList.self)
            let dead = try #require(list.messages.first)
            #expect(dead.room == "fire-slack" && dead.incidentNumber == receipt.incident.number)
            #expect(dead.lastError == "The webhook answered 404: no_service")
            #expect(list.counts["dead"] == 1)
            #expect(try await server.request("GET", "/v1/outbox?state=failed", token: field).status == 403)

            receiver.otherwise(.respond(status: 200, body: Data("ok".utf8)))
            let retried = try await server.request("POST", "/v1/outbox/\(dead.id)/retry", token: hq)
            #expect(retried.status == 200)
            #expect(
                await server.eventually { (try? await server.store.outboxMessage(id: dead.id).state) == .delivered })
            #expect(receiver.requests.count == 2)
            let payload = try Self.json(receiver.requests[1])
            #expect(Array(payload.keys) == ["text"])
            #expect((payload["text"] as? String)?.hasPrefix("【火災】\(receipt.incident.number) 新規発生") == true)
            #expect(try await server.request("POST", "/v1/outbox/\(dead.id)/retry", token: hq).status == 409)
        }
    }

    @Test func tenRapidUpdatesBecomeOneMessageWithTheFinalState() async throws {
        let receiver = try WebhookReceiver()
        // The first message is held at the chat server while ten changes arrive: they wait in one queued row.
        let gate = LoopbackHTTPServer.Gate()
        defer { gate.open() }
        receiver.script([.hold(gate, then: .respond(status: 202))])
        let room = RoomConfiguration(
            name: "teams", connector: .teams(url: Secret(value: receiver.url("/workflows/abc"), origin: "test")),
            language: .english, messagesPerSecond: 1)
        try await Self.run(rooms: [room], timeout: .seconds(30)) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let receipt = try await Self.report(server, token: field)
            #expect(await server.eventually { receiver.requests.count == 1 })
            let changes = [
                #"{"status": "confirmed"}"#, #"{"severity": 1}"#, #"{"severity": 2}"#, #"{"status": "responding"}"#,
                #"{"severity": 3}"#, #"{"status": "contained"}"#, #"{"severity": 4}"#, #"{"status": "closed"}"#,
                #"{"status": "responding"}"#, #"{"severity": 5}"#,
            ]
            for change in changes {
                let response = try await server.request(
                    "PATCH", "/v1/incidents/\(receipt.incident.number)", token: hq, body: change)
                #expect(response.status == 200)
            }
            #expect(
                await server.eventually {
                    let pending = (try? await server.store.outboxMessages(.pending)) ?? []
                    return pending.count == 2 && pending.last?.updates == 10
                })
            gate.open()
            #expect(await server.eventually { (try? await Self.pending(server)) == 0 })
            let requests = receiver.requests
            #expect(requests.count == 2)
            let card = try Self.json(try #require(requests.last))
            let attachment = try #require((card["attachments"] as? [[String: Any]])?.first)
            #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
            let content = try #require(attachment["content"] as? [String: Any])
            #expect(content["type"] as? String == "AdaptiveCard")
            let texts = (content["body"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            #expect(texts.contains("Status: responding · severity 5/5"))
            let actions = content["actions"] as? [[String: Any]]
            #expect(
                actions?.first?["url"] as? String
                    == "https://noroshi.example.lg.jp/incidents/\(receipt.incident.number)")
            let delivered = try await server.store.outboxMessages(OutboxFilter(states: [.delivered]))
            #expect(delivered.map(\.updates).reduce(0, +) == 11)
        }
    }

    @Test func anUnpacedRoomKeepsItsOrderThroughAFailure() async throws {
        let receiver = try WebhookReceiver()
        // Held at first, so that every incident is queued before the stream starts; the third message fails
        // once while the fourth is already claimed behind it.
        let gate = LoopbackHTTPServer.Gate()
        defer { gate.open() }
        receiver.script([
            .hold(gate, then: .respond(status: 200)), .respond(status: 200), .respond(status: 503),
        ])
        try await Self.run(rooms: [Self.webhook(receiver)], timeout: .seconds(30)) { server in
            let field = try await server.token(.field)
            for index in 0..<6 {
                _ = try await Self.report(server, token: field, at: (35.0 + Double(index), 137.0))
            }
            #expect(
                await server.eventually {
                    (try? await server.store.outboxMessages(OutboxFilter(states: [.queued, .sending])).count) == 6
                })
            gate.open()
            #expect(await server.eventually { (try? await Self.pending(server)) == 0 })

            let ids = receiver.requests.compactMap { request in
                request.headers["x-noroshi-delivery"]?.split(separator: "-").last.flatMap { Int($0) }
            }
            // Seven requests: six messages, the third twice, and never a later one before an earlier one.
            #expect(ids.count == 7)
            #expect(ids[2] == ids[3])
            #expect(ids == ids.sorted() && Set(ids).count == 6)
            let delivered = try await server.store.outboxMessages(OutboxFilter(states: [.delivered]))
            #expect(delivered.count == 6)
            #expect(delivered.map(\.attempts) == [1, 1, 2, 1, 1, 1])
            // Kept alive: one connection for the room unless the server hung up.
            #expect(Set(receiver.requests.map(\.connection)).count == 1)
        }
    }

    @Test func withoutRoomsChatEventsAreClearedAway() async throws {
        try await Self.run(rooms: []) { server in
            let field = try await server.token(.field)
            _ = try await Self.report(server, token: field)
            // Swept every few seconds rather than after each commit, so intake does not pay for them.
            #expect(await server.eventually { (try? await server.store.outboxCounts()[.queued]) == 0 })
            #expect(try await server.store.outboxMessages(OutboxFilter()).isEmpty)
        }
    }

    @Test func routesChooseTheRoomsAndEachRoomItsLanguage() async throws {
        let fire = try WebhookReceiver()
        let drill = try WebhookReceiver()
        var drillRoom = Self.webhook(drill, name: "drill")
        drillRoom.language = .english
        let routes = [
            ChatRoute(rooms: ["fire"], kinds: [.fire], exercise: false), ChatRoute(rooms: ["drill"], exercise: true),
        ]
        try await Self.run(rooms: [Self.webhook(fire, name: "fire"), drillRoom], routes: routes) { server in
            let field = try await server.token(.field)
            let exercise = try await Self.report(server, token: field, exercise: true)
            let real = try await Self.report(server, token: field, at: (35.0, 136.0))
            _ = try await Self.report(server, token: field, kind: "flood", at: (34.0, 135.0))
            #expect(await server.eventually { fire.requests.count == 1 && drill.requests.count == 1 })
            #expect(await server.eventually { (try? await Self.pending(server)) == 0 })
            let fireText = try Self.json(fire.requests[0])["text"] as? String
            let drillText = try Self.json(drill.requests[0])["text"] as? String
            #expect(fireText?.hasPrefix("【火災】\(real.incident.number) 新規発生") == true)
            #expect(drillText?.hasPrefix("EXERCISE — Fire \(exercise.incident.number): new incident") == true)
            #expect(fire.requests.count == 1 && drill.requests.count == 1)  // the flood went nowhere
        }
    }
}
