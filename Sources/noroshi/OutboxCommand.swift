import ArgumentParser
import Foundation
import NoroshiClient
import NoroshiCore
import NoroshiHTTPClient

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List the chat messages waiting or failed, and re-queue dead letters (headquarters).",
        discussion: """
            Each change that rooms hear about (a new incident, a status or severity change, new photos, a merge,
            counts, a 即報, and reports joining, paced) becomes one message per room, kept in the database until
            the room has it. Messages still failing a day after they were queued (chat.max_age_hours), or that a
            chat server refused for good (a bad token, a room that does not exist), are dead letters: they wait
            for 'noroshi outbox retry'. A 429 or Retry-After is a wait, never a failure. Messages for a room taken
            out of the configuration are named when the daemon starts; 'noroshi outbox drop --room NAME' drops
            them.

            Examples:
              noroshi outbox                 # waiting and being retried
              noroshi outbox --failed        # dead letters, with the last error
              noroshi outbox --all --room hq
              noroshi outbox retry 42
              noroshi outbox drop --room old-slack
            """,
        subcommands: [List.self, Retry.self, Drop.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List outbox messages (pending by default).")

        @Flag(help: "Only dead letters.") var failed = false
        @Flag(help: "Only delivered messages.") var delivered = false
        @Flag(help: "Every message, in any state.") var all = false
        @Option(help: "Only messages for this room.") var room: String?
        @Option(help: "At most this many messages, oldest first (default 100).") var limit: Int = 100
        @Flag(help: "Print JSON for scripts.") var json = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if [failed, delivered, all].filter({ $0 }).count > 1 {
                throw ValidationError("Give at most one of --failed, --delivered and --all.")
            }
        }

        func run() throws {
            try CLIError.run {
                let state = failed ? "failed" : delivered ? "delivered" : all ? "all" : "pending"
                var path = "/v1/outbox?state=\(state)&limit=\(limit)"
                if let room { path += "&room=" + room.urlComponentEncoded }
                let (list, _) = try client.client().call("GET", path, as: OutboxList.self)
                if json { return try Output.json(list) }
                Self.print(list, state: state)
            }
        }

        static func print(_ list: OutboxList, state: String) {
            let counts = ["queued", "sending", "delivered", "dead", "dropped"].map { "\(list.counts[$0] ?? 0) \($0)" }
            Swift.print("Outbox: " + counts.joined(separator: ", ") + ".")
            guard !list.messages.isEmpty else {
                Swift.print(state == "failed" ? "No dead letters." : "No \(state == "all" ? "" : state + " ")messages.")
                return
            }
            let now = Date()
            Output.table(
                ["ID", "ROOM", "INCIDENT", "REASONS", "STATE", "TRIES", "CREATED", "NEXT TRY"],
                list.messages.map { message in
                    let next =
                        message.state == .queued || message.state == .sending
                        ? (message.readyAt > now
                            ? "in \(Int(message.readyAt.timeIntervalSince(now).rounded(.up))) s" : "now")
                        : "-"
                    return [
                        String(message.id), message.room, message.incidentNumber ?? "-",
                        message.reasons.map(\.rawValue).joined(separator: ","), message.state.rawValue,
                        String(message.attempts), Output.relative(message.createdAt, now: now), next,
                    ]
                })
            // Errors in full, below the table: the reason is what an operator needs to fix.
            let failed = list.messages.filter { $0.lastError != nil }
            if !failed.isEmpty {
                Swift.print("\nLast errors:")
                for message in failed { Swift.print("  \(message.id): \(message.lastError ?? "")") }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a dead letter again; it goes out as the same message, with a fresh count of attempts.",
            discussion: """
                Examples:
                  noroshi outbox --failed
                  noroshi outbox retry 42
                """)

        @Argument(help: "The message id ('noroshi outbox --failed' lists them).") var id: Int64
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let (message, _) = try client.client().call("POST", "/v1/outbox/\(id)/retry", as: OutboxMessage.self)
                print("Message \(message.id) for room '\(message.room)' is queued again.")
            }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop waiting or dead messages so that they are never sent: one by id, or all of a room.",
            discussion: """
                Asks for confirmation on a terminal; --yes skips it (scripts). A dropped message stays listed
                ('noroshi outbox --all') with who dropped it.

                Examples:
                  noroshi outbox drop 42
                  noroshi outbox drop --room old-slack
                  noroshi outbox drop --room old-slack --yes
                """)

        @Argument(help: "The message id.") var id: Int64?
        @Option(help: "Every waiting or dead message of this room.") var room: String?
        @Flag(help: "Do not ask for confirmation.") var yes = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard (id == nil) != (room == nil) else { throw ValidationError("Give a message id or --room, not both.") }
        }

        func run() throws {
            try CLIError.run {
                let what = id.map { "message \($0)" } ?? "every waiting or dead message for room '\(room ?? "")'"
                guard try Confirmation.ask("Drop \(what)? They will never be sent.", what: what, yes: yes) else {
                    print("Nothing was dropped.")
                    return
                }
                let (answer, _) = try client.client().call(
                    "POST", "/v1/outbox/drop", body: OutboxDropRequest(id: id, room: room), as: [String: Int].self)
                let n = answer["dropped"] ?? 0
                print("Dropped \(n) message\(n == 1 ? "" : "s").")
            }
        }
    }
}
