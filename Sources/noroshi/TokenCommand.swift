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
              noroshi token create --role admin --name "HQ admin"
              noroshi token create --role field --name "Hida FD station 2" --data-dir /var/lib/noroshi
              noroshi token list
              noroshi token revoke 3
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    static func openStore(_ options: ServerOptions) throws -> Store {
        let configuration = try options.load()
        return try Store(
            directory: configuration.dataDirectoryURL,
            limits: configuration.limits,
            logger: Logger(label: "noroshi.token")
        )
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
        @Flag(help: "Print JSON (id, name, role, secret) for scripts.") var json = false
        @OptionGroup var options: ServerOptions

        func run() async throws {
            try await CLIError.runAsync {
                guard let role = Role(rawValue: role.lowercased()) else {
                    throw NoroshiError(.invalidInput, "Unknown role '\(role)'; use one of \(Role.allNames).")
                }
                let (info, secret) = try await TokenCommand.openStore(options).createToken(name: name, role: role)
                if json {
                    try Output.json(CreatedTokenOutput(id: info.id, name: info.name, role: info.role, secret: secret))
                    return
                }
                print("Created token \(info.id) “\(info.name)” with role \(info.role.rawValue).")
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
                Output.table(
                    ["ID", "ROLE", "NAME", "CREATED", "STATE"],
                    tokens.map { token in
                        [
                            String(token.id), token.role.rawValue, token.name, Output.local(token.createdAt),
                            token.revokedAt.map { "revoked \(Output.local($0))" } ?? "active",
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
}
