import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiLoopback
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// 即報 in chat through the real daemon: an issued 報 goes to the incident's rooms at once, and the 30-minute
/// rule's reminder goes, once, to `sokuho.reminder_rooms` only — on a clock the test moves.
@Suite struct SokuhoChatTests {
    @Test func issuedReportsGoToTheRoutesAndTheReminderToItsOwnRooms() async throws {
        let logo = try WebhookReceiver()
        let duty = try WebhookReceiver()
        let clock = ManualClock(Date())
        let configure: (inout NoroshiConfiguration) -> Void = { configuration in
            configuration.chat.rooms = [
                WebhookDeliveryTests.webhook(logo, name: "logo"), WebhookDeliveryTests.webhook(duty, name: "duty"),
            ]
            configuration.chat.routes = [ChatRoute(rooms: ["logo"])]
            configuration.chat.outbox.gather = 0
            configuration.chat.sokuhoReminder = .init(minutes: 20, rooms: ["duty"])
        }
        try await TestServer.run(clock: clock, configure: configure) { server in
            func text(_ request: LoopbackHTTPServer.Request) throws -> String {
                try #require(try WebhookDeliveryTests.json(request)["text"] as? String)
            }
            let field = try await server.token(.field)
            let hq = try await server.token(.hq, name: "Takayama HQ")
            let receipt = try await WebhookDeliveryTests.report(server, token: field)
            let number = receipt.incident.number
            #expect(await server.eventually { logo.requests.count == 1 })

            clock.advance(by: 19 * 60 + 50)
            server.chatWakeups.wakeAll()
            try await Task.sleep(for: .seconds(1.5))
            #expect(duty.requests.isEmpty)  // not yet 20 minutes after 覚知

            clock.advance(by: 10)
            server.chatWakeups.wakeAll()
            #expect(await server.eventually { duty.requests.count == 1 })
            let reminder = try text(try #require(duty.requests.first))
            #expect(reminder.hasPrefix("【火災】\(number) 覚知から20分、第1報が未発出です"), "\(reminder)")
            #expect(logo.requests.count == 1)  // the routes' room does not get the reminder

            let issued = try await server.request("POST", "/v1/incidents/\(number)/sokuho", token: hq, body: "{}")
            #expect(issued.status == 201)
            #expect(await server.eventually { logo.requests.count == 2 })
            #expect(try text(try #require(logo.requests.dropFirst().first)).hasPrefix("【火災】\(number) 第1報 発出"))

            // A drill incident follows the same rule, marked 【訓練】; each incident is reminded once.
            let drill = try await WebhookDeliveryTests.report(server, token: field, exercise: true)
            clock.advance(by: 20 * 60)
            server.chatWakeups.wakeAll()
            #expect(await server.eventually { duty.requests.count == 2 })
            #expect(
                try text(try #require(duty.requests.dropFirst().first)).hasPrefix(
                    "【訓練】【火災】\(drill.incident.number) 覚知から20分"))
            clock.advance(by: 60 * 60)
            server.chatWakeups.wakeAll()
            try await Task.sleep(for: .seconds(1.5))
            #expect(duty.requests.count == 2)
        }
    }
}

/// `noroshi outbox drop` through the real daemon and the built CLI.
@Suite struct OutboxDropTests {
    @Test func messagesOfARoomAreDroppedOnlyWhenConfirmed() async throws {
        let receiver = try WebhookReceiver()
        receiver.otherwise(.respond(status: 500))
        try await WebhookDeliveryTests.run(rooms: [WebhookDeliveryTests.webhook(receiver, name: "old")]) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq, name: "HQ admin")
            _ = try await WebhookDeliveryTests.report(server, token: field)
            #expect(await server.eventually { !receiver.requests.isEmpty })
            let home = try TemporaryDirectory()
            defer { home.remove() }
            let cli = CommandLineTool(home: home.url)
            let environment = ["NOROSHI_SERVER": server.baseURL, "NOROSHI_TOKEN": hq]
            let unconfirmed = try await cli.runInBackground(
                ["outbox", "drop", "--room", "old"], environment: environment)
            #expect(unconfirmed.status != 0 && unconfirmed.errors.contains("add --yes"), "\(unconfirmed.errors)")
            #expect(try await server.store.outboxMessages(OutboxFilter(states: [.dropped])).isEmpty)
            let dropped = try await cli.runInBackground(
                ["outbox", "drop", "--room", "old", "--yes"], environment: environment)
            #expect(dropped.status == 0, "\(dropped.errors)")
            #expect(dropped.output == "Dropped 1 message.\n")
            let listed = try await server.store.outboxMessages(OutboxFilter(states: [.dropped]))
            #expect(listed.count == 1 && listed.first?.lastError == "Dropped by HQ admin.")
            let again = try await cli.runInBackground(
                ["outbox", "drop", "--room", "old", "--yes"], environment: environment)
            #expect(again.status != 0 && again.errors.contains("No message waits for room 'old'"), "\(again.errors)")
        }
    }
}
