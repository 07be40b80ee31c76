import Foundation
import NoroshiCore
import NoroshiHTTPClient

/// Posts to a Slack-compatible incoming webhook: Slack, Mattermost and Rocket.Chat all take `{"text": …}`.
///
/// The webhook URL is the secret. Images are not sent: an incoming webhook can only show an image by URL,
/// and the board is not reachable from a chat service outside the closed network. The link goes instead.
public struct SlackConnector: Connector {
    let url: Secret
    let client: HTTPClient

    public init(url: Secret, client: HTTPClient) {
        self.url = url
        self.client = client
    }

    /// The JSON body for a message.
    static func payload(_ message: ChatMessage) -> Data {
        JSON.object([("text", .string(message.rendered.text))]).data
    }

    public func deliver(_ message: ChatMessage) async -> DeliveryOutcome {
        await .post(Self.payload(message), to: url.value, client: client, what: "The webhook")
    }
}

/// Posts an Adaptive Card to a Microsoft Teams incoming webhook made with Workflows (Power Automate's
/// "When a Teams webhook request is received"), which answers 202 Accepted.
///
/// No image: Teams limits a message to about 28 KB, smaller than a chat copy. The card links to the board.
public struct TeamsConnector: Connector {
    let url: Secret
    let client: HTTPClient

    public init(url: Secret, client: HTTPClient) {
        self.url = url
        self.client = client
    }

    /// The JSON body: a message with one Adaptive Card attachment.
    static func payload(_ message: ChatMessage) -> Data {
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

    public func deliver(_ message: ChatMessage) async -> DeliveryOutcome {
        await .post(Self.payload(message), to: url.value, client: client, what: "Teams")
    }
}
