import ArgumentParser
import Foundation
import Logging
import NoroshiCore
import NoroshiStorage

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke bearer tokens, working directly on the data directory.",
        discussion: """
            These commands open the daemon's database themselves (the daemon may be running), so the
            first administrator token needs no token. Roles: field (send reports), hq (read
            everything, change incidents), admin (everything, including tokens). Only a hash of each
            token is stored; the token itself is shown once.

            Examples:
              noroshi token create --role admin --name "HQ admin" --init
              noroshi token create --role field --name "Hida FD station 2" --expires 30d --data-dir /var/lib/noroshi
              noroshi token list
              noroshi token revoke 3
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    static func openStore(_ options: ServerOptions, create: Bool = false) throws -> Store {
        try options.openStore(create: create, hint: "or --init to create a new one there")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once.",
            discussion: """
                Example:
                  noroshi token create --role field --name "Hida FD station 2"
                """
        )

        @Option(help: "field, hq or admin.") var role: String
        @Option(help: "Who holds it, e.g. 'Hida FD station 2'; shown in the timeline.") var name: String
        @Option(
            help: ArgumentHelp(
                "When it stops working: 30d, 12h, 2w, or a date (2027-03-31: the end of that day here).",
                valueName: "when")) var expires: String?
        @Flag(help: "Create the database if the data directory has none (the first token of a new install).")
        var `init` = false
        @Flag(help: "Print JSON (id, name, role, secret, expires_at) for scripts.") var json = false
        @OptionGroup var options: ServerOptions

        func validate() throws {
            if let expires, Self.expiry(expires, from: Date()) == nil {
                throw ValidationError("--expires takes 30d, 12h, 2w or a date like 2027-03-31, not '\(expires)'.")
            }
        }

        /// `30d`, `12h`, `2w` from `now`, or the end of a local calendar day.
        static func expiry(_ text: String, from now: Date) -> Date? {
            let value = text.trimmingCharacters(in: .whitespaces).lowercased()
            if let unit = value.last, let count = Double(value.dropLast()), count > 0, count <= 100 * 365 {
                switch unit {
                case "h": return now.addingTimeInterval(count * 3600)
                case "d": return now.addingTimeInterval(count * 86_400)
                case "w": return now.addingTimeInterval(count * 7 * 86_400)
                default: break
                }
            }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM-dd"
            guard let day = formatter.date(from: value), formatter.string(from: day) == value else { return nil }
            return Calendar.current.date(byAdding: .day, value: 1, to: day)
        }

        func run() async throws {
            try await CLIError.runAsync {
                guard let role = Role(rawValue: role.lowercased()) else {
                    throw NoroshiError(.invalidInput, "Unknown role '\(role)'; use one of \(Role.allNames).")
                }
                let expiresAt = expires.flatMap { Self.expiry($0, from: Date()) }
                let (info, secret) = try await TokenCommand.openStore(options, create: `init`).createToken(
                    name: name, role: role, expiresAt: expiresAt)
                if json {
                    try Output.json(
                        CreatedTokenOutput(
                            id: info.id, name: info.name, role: info.role, secret: secret, expiresAt: info.expiresAt))
                    return
                }
                print("Created token \(info.id) “\(info.name)” with role \(info.role.rawValue).")
                if let expiresAt = info.expiresAt { print("It works until \(Output.local(expiresAt)).") }
                print("It is shown only this once; keep it safe:")
                print("")
                print("  \(secret)")
                print("")
                print("On the device that will use it:")
                print("  noroshi login --server http://<this server>:8080 --token \(secret)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tokens (never their secrets).",
            discussion: "Example:\n  noroshi token list --data-dir /var/lib/noroshi"
        )

        @Flag(help: "Print JSON for scripts.") var json = false
        @OptionGroup var options: ServerOptions

        func run() async throws {
            try await CLIError.runAsync {
                let tokens = try await TokenCommand.openStore(options).tokens()
                if json {
                    try Output.json(tokens)
                    return
                }
                guard !tokens.isEmpty else {
                    print("No tokens. Create one with: noroshi token create --role admin --name \"HQ admin\"")
                    return
                }
                let now = Date()
                Output.table(
                    ["ID", "ROLE", "NAME", "CREATED", "LAST USED", "STATE"],
                    tokens.map { token in
                        [
                            // 24 columns of the name keep the table in 80; --json has it whole.
                            String(token.id), token.role.rawValue, Output.truncate(token.name, to: 24),
                            Output.day(token.createdAt),
                            token.lastUsedAt.map(Output.day) ?? "never", Self.state(token, now: now),
                        ]
                    }
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token; requests that carry it are refused from then on.",
            discussion: "Example:\n  noroshi token revoke 3"
        )

        @Argument(help: "The token's id, from 'noroshi token list'.") var id: Int64
        @OptionGroup var options: ServerOptions

        func run() async throws {
            try await CLIError.runAsync {
                let info = try await TokenCommand.openStore(options).revokeToken(id: id)
                print("Revoked token \(info.id) “\(info.name)” (\(info.role.rawValue)).")
            }
        }
    }
}

private struct CreatedTokenOutput: Encodable {
    var id: Int64
    var name: String
    var role: Role
    var secret: String
    var expiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, role, secret
        case expiresAt = "expires_at"
    }
}

extension TokenCommand.List {
    /// active, until a day, expired on a day, or revoked on a day.
    static func state(_ token: TokenInfo, now: Date) -> String {
        if let revoked = token.revokedAt { return "revoked \(Output.day(revoked))" }
        if let expires = token.expiresAt {
            return expires <= now ? "expired \(Output.day(expires))" : "until \(Output.day(expires))"
        }
        return "active"
    }
}
