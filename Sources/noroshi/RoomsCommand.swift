import ArgumentParser
import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiHTTPClient

struct RoomsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rooms",
        abstract: "List the chat rooms of the daemon's configuration, or send one a test message.",
        discussion: """
            Rooms and routes are set under `chat:` in the daemon's configuration file; secrets come from
            environment variables or files named there (`password_env`, `url_file`, …) and are never printed.
            These commands read the same file as 'noroshi serve' and talk to the chat server directly.

            Examples:
              noroshi rooms list --config /etc/noroshi/noroshi.yaml
              noroshi rooms test hq --config /etc/noroshi/noroshi.yaml
            """,
        subcommands: [List.self, Test.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the configured rooms and routes.")

        @OptionGroup var options: ServerOptions

        func run() throws {
            try CLIError.run {
                let chat = try options.load().chat
                guard !chat.rooms.isEmpty else {
                    print("No rooms are configured; add them under `chat.rooms` (see the README).")
                    return
                }
                Output.table(
                    ["ROOM", "TYPE", "LANGUAGE", "PACE", "TARGET"],
                    chat.rooms.map { room in
                        [
                            room.name, room.connector.type, room.language.rawValue,
                            room.messagesPerSecond > 0 ? "\(Self.number(room.messagesPerSecond))/s" : "off",
                            Self.target(room.connector),
                        ]
                    })
                print("")
                if chat.routes == nil { print("Routes: none configured, so every room takes every incident.") }
                for (index, route) in chat.effectiveRoutes.enumerated() where chat.routes != nil {
                    print("Route \(index + 1): \(route.rooms.joined(separator: ", ")) ← \(Self.describe(route))")
                }
            }
        }

        /// Where a room points, without secrets (webhook URLs of Slack and Teams are secrets).
        static func target(_ connector: ConnectorSettings) -> String {
            switch connector {
            case .matrix(let homeserver, let room, let authentication, let deviceID):
                let who: String
                switch authentication {
                case .accessToken(let token): who = "token \(token)"
                case .password(let user, let password): who = "\(user) (password \(password), device \(deviceID))"
                }
                return "\(room) on \(homeserver) as \(who)"
            case .slack(let url), .teams(let url):
                return "webhook \(url)"
            case .webhook(let url, let secret, let sendImage):
                return "\(url), signed with \(secret)\(sendImage ? ", with images" : "")"
            }
        }

        static func describe(_ route: ChatRoute) -> String {
            var parts: [String] = []
            if !route.kinds.isEmpty {
                parts.append("kinds " + route.kinds.map(\.rawValue).sorted().joined(separator: ", "))
            }
            if let severity = route.minSeverity { parts.append("severity ≥ \(severity)") }
            if let exercise = route.exercise { parts.append(exercise ? "drills only" : "real incidents only") }
            switch route.area {
            case .circle(let centre, let metres):
                parts.append(
                    String(
                        format: "within %@ km of %.4f, %.4f", number(metres / 1000), centre.latitude, centre.longitude))
            case .box(let box):
                parts.append(
                    String(
                        format: "inside %.4f…%.4f N, %.4f…%.4f E", box.minLatitude, box.maxLatitude, box.minLongitude,
                        box.maxLongitude))
            case nil: break
            }
            return parts.isEmpty ? "everything" : parts.joined(separator: "; ")
        }

        static func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test message to a room now and print what the chat server said.",
            discussion: """
                The message goes straight to the chat server with the room's settings (not through the outbox),
                so it also works while the daemon is stopped. The exit code is 0 only when it was delivered.

                Examples:
                  noroshi rooms test hq
                  noroshi rooms test fire-slack --config /etc/noroshi/noroshi.yaml
                """)

        @Argument(help: "The room's name, as under `chat.rooms`.") var room: String
        @Flag(help: "Send it marked as a drill (【訓練】 / EXERCISE).") var exercise = false
        @OptionGroup var options: ServerOptions

        func run() async throws {
            try await CLIError.runAsync {
                let chat = try options.load().chat
                let room = try chat.room(named: room)
                let connector = room.makeConnector(client: HTTPClient(configuration: chat.http), clock: SystemClock())
                let summary = Summary.test(exercise: exercise)
                let style = SummaryStyle(language: room.language, boardURL: chat.boardURL, utcOffset: chat.utcOffset)
                let message = ChatMessage(
                    deliveryID: "test-\(Int(Date().timeIntervalSince1970 * 1000))", summary: summary,
                    rendered: summary.rendered(style))
                let started = ContinuousClock.now
                let outcome = await connector.deliver(message)
                let elapsed = ContinuousClock.now - started
                let seconds = String(
                    format: "%.2f s", elapsed.timeInterval
                )
                switch outcome {
                case .delivered(let remoteID):
                    print(
                        "Delivered to room '\(room.name)' (\(room.connector.type)) in \(seconds)"
                            + (remoteID.map { "; its id there is \($0)" } ?? "") + ".")
                case .retry(let reason, let after):
                    throw NoroshiError(
                        .unavailable,
                        "Not delivered to room '\(room.name)' (\(seconds)): \(reason). The daemon would retry this"
                            + (after.map { " after \($0)" } ?? "") + ".")
                case .permanent(let reason):
                    throw NoroshiError(
                        .invalidInput,
                        "Not delivered to room '\(room.name)' (\(seconds)): \(reason). Retrying will not help; check "
                            + "the room's settings.")
                }
            }
        }
    }
}
