import Foundation
import NoroshiTesting
import Testing

/// `noroshi rooms list` and `noroshi rooms test`, through the built binary and a loopback receiver.
@Suite struct RoomsCommandTests {
    @Test func listHidesSecretsAndTestSendsOneMessage() throws {
        let root = try TemporaryDirectory(prefix: "noroshi-rooms")
        defer { root.remove() }
        let good = try WebhookReceiver()
        let refusing = try WebhookReceiver()
        refusing.otherwise(.respond(status: 404, body: Data("no_service".utf8)))
        let config = root.url.appendingPathComponent("noroshi.yaml").path
        try """
        chat:
          rooms:
            logo: {type: webhook, url: "\(good.url())", secret_env: HOOK_SECRET, language: en}
            fire-slack: {type: slack, url_env: SLACK_URL}
          routes:
            - {rooms: [logo], kinds: [fire], min_severity: 3}
            - {rooms: [fire-slack], exercise: false}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let tool = CommandLineTool(home: root.url.appendingPathComponent("home"))
        let environment = ["HOOK_SECRET": "hook-secret-value", "SLACK_URL": refusing.url("/services/T/B/secret-path")]

        let list = try tool.run(["rooms", "list", "--config", config], environment: environment)
        #expect(list.status == 0, "\(list.errors)")
        #expect(list.output.contains("logo") && list.output.contains("signed with <secret from $HOOK_SECRET>"))
        #expect(list.output.contains("webhook <secret from $SLACK_URL>"))
        #expect(list.output.contains("Route 1: logo ← kinds fire; severity ≥ 3"))
        #expect(list.output.contains("Route 2: fire-slack ← real incidents only"))
        #expect(!list.output.contains("hook-secret-value") && !list.output.contains("secret-path"))

        let sent = try tool.run(["rooms", "test", "logo", "--exercise", "--config", config], environment: environment)
        #expect(sent.status == 0, "\(sent.errors)")
        #expect(sent.output.hasPrefix("Delivered to room 'logo' (webhook) in "))
        #expect(good.requests.count == 1)
        let body = try JSONSerialization.jsonObject(with: good.requests[0].body) as? [String: Any]
        #expect((body?["text"] as? String)?.hasPrefix("EXERCISE — TEST: Noroshi connection check") == true)

        let refused = try tool.run(["rooms", "test", "fire-slack", "--config", config], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("The webhook answered 404: no_service. Retrying will not help"))

        let unknown = try tool.run(["rooms", "test", "nowhere", "--config", config], environment: environment)
        #expect(unknown.status == 1 && unknown.errors.contains("No room is called 'nowhere'; rooms: fire-slack, logo."))
        let missing = try tool.run(["rooms", "list", "--config", config])
        #expect(missing.status == 1 && missing.errors.contains("the environment variable SLACK_URL is not set"))
    }
}
