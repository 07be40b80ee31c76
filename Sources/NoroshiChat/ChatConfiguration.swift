import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiStorage

/// The chat side of the configuration: rooms, routes, the outbox's timing, and the HTTP settings connectors use.
///
/// With rooms and no routes, every room takes every incident.
public struct ChatConfiguration: Sendable {
    public var rooms: [RoomConfiguration] = []
    /// nil when the configuration gives none: then every room takes everything.
    public var routes: [ChatRoute]?
    public var outbox = OutboxSettings()
    /// The web board's base URL; messages link to the incident when set.
    public var boardURL: String?
    /// Seconds east of UTC for times in messages; Japan by default.
    public var utcOffset = 9 * 3600
    /// Timeouts, proxy, TLS verification and CA bundle for every connector.
    public var http = HTTPClient.Configuration(timeout: .seconds(30), connectTimeout: .seconds(10))
    /// The first retry waits about this long; each further one twice as long, up to `retryMax`, with jitter.
    public var retryBase: Duration = .seconds(2)
    public var retryMax: Duration = .seconds(300)
    /// The 30-minute rule's reminder: with no 第1報 this long after 覚知, a message goes to these rooms.
    public var sokuhoReminder = SokuhoReminder()

    public struct SokuhoReminder: Sendable, Hashable {
        /// `sokuho.reminder_minutes`: minutes from 覚知; 20 leaves ten for the 報 itself.
        public var minutes: Double = 20
        /// `sokuho.reminder_rooms`: no rooms, no reminders (the board and `noroshi status` still show it).
        public var rooms: [String] = []

        public init(minutes: Double = 20, rooms: [String] = []) {
            self.minutes = minutes
            self.rooms = rooms
        }
    }

    public init() {}

    /// The routes in force: the configured ones, or one that sends everything to every room.
    public var effectiveRoutes: [ChatRoute] {
        routes ?? (rooms.isEmpty ? [] : [ChatRoute(rooms: rooms.map(\.name))])
    }

    /// The room called `name`.
    public func room(named name: String) throws(NoroshiError) -> RoomConfiguration {
        guard let room = rooms.first(where: { $0.name == name }) else {
            let known = rooms.map(\.name).joined(separator: ", ")
            throw NoroshiError(
                .notFound,
                "No room is called '\(name)'"
                    + (known.isEmpty ? "; the configuration has no rooms." : "; rooms: \(known)."))
        }
        return room
    }

    /// How long to wait before attempt `attempt` + 1 after `attempt` failed: the server's wish when it said, else
    /// an exponential backoff with "equal jitter" (between half and all of the step), so that rooms that failed
    /// together do not retry together.
    public func backoff(afterAttempt attempt: Int, wish: Duration?, random: Double = Double.random(in: 0...1))
        -> Duration
    {
        if let wish { return min(wish, .seconds(86_400)) }
        let step = retryBase * Double(1 << min(max(attempt - 1, 0), 20))
        let capped = min(step, retryMax)
        return capped * (0.5 + 0.5 * random)
    }
}

/// One chat room: its name (used in routes and commands), how to reach it, and how it reads.
public struct RoomConfiguration: Sendable {
    public var name: String
    public var connector: ConnectorSettings
    public var language: ChatLanguage = .japanese
    /// At most this many messages a second; 0 sends as fast as the server takes them.
    public var messagesPerSecond: Double = 1

    public init(
        name: String, connector: ConnectorSettings, language: ChatLanguage = .japanese, messagesPerSecond: Double = 1
    ) {
        self.name = name
        self.connector = connector
        self.language = language
        self.messagesPerSecond = messagesPerSecond
    }

    /// The shortest time between two messages.
    public var interval: Duration {
        messagesPerSecond > 0 ? .milliseconds(Int64(1000 / messagesPerSecond)) : .zero
    }

    /// Builds the room's connector over a session of `client` of its own: one kept-alive connection per room.
    public func makeConnector(client: HTTPClient, clock: any WallClock) -> any Connector {
        let session = HTTPSession(client: client, label: "noroshi.chat.\(name)")
        return switch connector {
        case .matrix(let homeserver, let room, let authentication, let deviceID):
            MatrixConnector(
                homeserver: homeserver, room: room, authentication: authentication, deviceID: deviceID,
                session: session)
        case .slack(let url):
            IncomingWebhookConnector(url: url, format: .slack, session: session)
        case .teams(let url):
            IncomingWebhookConnector(url: url, format: .teams, session: session)
        case .webhook(let url, let secret, let sendImage):
            WebhookConnector(url: url, secret: secret, sendImage: sendImage, session: session, clock: clock)
        }
    }
}

/// How a room is reached.
public enum ConnectorSettings: Sendable, Hashable {
    case matrix(homeserver: String, room: String, authentication: MatrixConnector.Authentication, deviceID: String)
    case slack(url: Secret)
    case teams(url: Secret)
    case webhook(url: String, secret: Secret, sendImage: Bool)

    /// `matrix`, `slack`, `teams` or `webhook`, as in the configuration.
    public var type: String {
        switch self {
        case .matrix: "matrix"
        case .slack: "slack"
        case .teams: "teams"
        case .webhook: "webhook"
        }
    }
}
