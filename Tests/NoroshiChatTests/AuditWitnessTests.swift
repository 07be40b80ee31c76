import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiLoopback
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Testing

/// `audit.witness_rooms`: each signed head of the audit log goes to the witness rooms as a message, through the
/// real daemon's checkpoints and delivery; a head read back from the room verifies the store.
@Suite struct AuditWitnessTests {
    @Test func eachCheckpointsHeadReachesTheWitnessRoomAndVerifiesTheLog() async throws {
        let witness = try WebhookReceiver()
        let logo = try WebhookReceiver()
        let configure: (inout NoroshiConfiguration) -> Void = { Self.configure(&$0, witness: witness, logo: logo) }
        try await TestServer.run(configure: configure) { server in
            func heads() throws -> [AuditHead] {
                try witness.requests.map { request in
                    let text = try #require(try WebhookDeliveryTests.json(request)["text"] as? String)
                    return try #require(AuditHead(line: text), "\(text)")
                }
            }
            // The checkpoint at start signs the configuration the daemon loaded.
            #expect(await server.eventually { witness.requests.count == 1 })
            let field = try await server.token(.field)
            _ = try await WebhookDeliveryTests.report(server, token: field)
            let sequence = try await server.store.auditSequence()
            #expect(await server.eventually { (try? heads().last?.seq) == sequence })

            let last = try #require(witness.requests.last)
            let text = try #require(try WebhookDeliveryTests.json(last)["text"] as? String)
            #expect(text.hasPrefix("【監査】Noroshi 監査ログ 第\(sequence)行まで署名"), "\(text)")
            let head = try #require(try heads().last)
            #expect(head.isSigned())
            #expect(try await server.store.verifyAudit(head: head).isIntact)
            // Nothing changed since: no more heads, and the incident's room never got one.
            let count = witness.requests.count
            try await Task.sleep(for: .seconds(1))
            #expect(witness.requests.count == count)
            #expect(
                logo.requests.allSatisfy { request in
                    !((try? WebhookDeliveryTests.json(request)["text"] as? String)?.contains("noroshi-audit-head")
                        ?? false)
                })
        }
    }

    static func configure(_ configuration: inout NoroshiConfiguration, witness: WebhookReceiver, logo: WebhookReceiver)
    {
        configuration.chat.rooms = [
            WebhookDeliveryTests.webhook(logo, name: "logo"),
            WebhookDeliveryTests.webhook(witness, name: "witness"),
        ]
        configuration.chat.routes = [ChatRoute(rooms: ["logo"])]
        configuration.chat.outbox.gather = 0
        configuration.auditCheckpointInterval = .milliseconds(300)
        configuration.auditWitnessRooms = ["witness"]
    }
}
