import Foundation
import NoroshiCore
import NoroshiHTTPClient

/// Posts to an incoming webhook whose URL is the secret: Slack-compatible (Slack, Mattermost and Rocket.Chat
/// all take `{"text": …}`) or Microsoft Teams (Workflows, Power Automate's "When a Teams webhook request is
/// received", which takes an Adaptive Card and answers 202 Accepted).
///
/// Images are not sent. A Slack-compatible webhook can only show an image by URL, and the board is not
/// reachable from a chat service outside the closed network; Teams limits a message to about 28 KB, smaller
/// than a chat copy. The link to the board goes instead.
public struct IncomingWebhookConnector: Connector {
    /// What the webhook takes.
    public enum Format: Sendable, Hashable {
        case slack
        case teams
    }

    let url: Secret
    let format: Format
    let session: HTTPSession

    public init(url: Secret, format: Format, session: HTTPSession) {
        self.url = url
        self.format = format
        self.session = session
    }

    /// Posts the message. The reason of a failure never holds the URL: the HTTP client names its origin only,
    /// and anything else that repeats it (a server's error body) is redacted here as well, since the reason goes
    /// to the log, the outbox's `last_error`, `GET /v1/outbox` and the CLI.
    public func deliver(_ message: ChatMessage) async -> DeliveryOutcome {
        let outcome: DeliveryOutcome
        switch format {
        case .slack:
            outcome = await .post(Self.slackPayload(message), to: url.value, session: session, what: "The webhook")
        case .teams:
            outcome = await .post(Self.teamsPayload(message), to: url.value, session: session, what: "Teams")
        }
        return outcome.redacting(url: url.value)
    }

    /// `{"text": …}`.
    static func slackPayload(_ message: ChatMessage) -> Data {
        JSON.object([("text", .string(message.rendered.text))]).data
    }

    /// The JSON body: a message with one Adaptive Card attachment.
    static func teamsPayload(_ message: ChatMessage) -> Data {
        let rendered = message.rendered
        var body: [JSON] = [
            .object([
                ("type", .string("TextBlock")), ("text", .string(rendered.headline)), ("weight", .string("Bolder")),
                ("size", .string("Medium")), ("wrap", .bool(true)),
                ("color", .string(message.summary.exercise ? "Warning" : "Attention")),
            ])
        ]
        for line in rendered.lines {
            body.append(
                .object([
                    ("type", .string("TextBlock")), ("text", .string(line)), ("wrap", .bool(true)),
                    ("spacing", .string("Small")),
                ]))
        }
        var card: [(String, JSON)] = [
            ("$schema", .string("http://adaptivecards.io/schemas/adaptive-card.json")),
            ("type", .string("AdaptiveCard")), ("version", .string("1.4")), ("body", .array(body)),
            ("msteams", .object([("width", .string("Full"))])),
        ]
        if let link = rendered.link {
            card.append(
                (
                    "actions",
                    .array([
                        .object([
                            ("type", .string("Action.OpenUrl")), ("title", .string(message.summary.number)),
                            ("url", .string(link)),
                        ])
                    ])
                ))
        }
        return JSON.object([
            ("type", .string("message")),
            (
                "attachments",
                .array([
                    .object([
                        ("contentType", .string("application/vnd.microsoft.card.adaptive")), ("contentUrl", .null),
                        ("content", .object(card)),
                    ])
                ])
            ),
        ]).data
    }
}
