import ArgumentParser
import Foundation
import NoroshiCore
import NoroshiStorage

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check and read the audit log: who changed what, and proof that nobody changed it afterwards.",
        discussion: """
            Every change (a report accepted, a photo stored, a status set, a token created, a sign-in, …)
            adds one row to the audit log in the same transaction as the change. Each row's SHA-256
            covers the row before it, and the daemon signs the newest row's hash with the data
            directory's Ed25519 key every audit.checkpoint_minutes and at shutdown. These commands open
            the data directory themselves; the daemon may be running.

            Examples:
              noroshi audit verify --data-dir /var/lib/noroshi
              noroshi audit show --incident F-2026-0042
              noroshi audit show --actor "HQ desk" --since 2026-12-05T09:00:00+09:00
              noroshi audit head > head-$(date +%F).txt
              noroshi audit verify --head "$(cat head-2026-12-05.txt)"
            """,
        subcommands: [Verify.self, Show.self, Head.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the chain and the signatures; name the first row that was changed (exit 1).",
            discussion: """
                Finds a row edited, deleted or moved, and rows cut off before a signed head. Rows after the
                newest checkpoint can be cut off unseen unless you give a head kept elsewhere (--head), such
                as a witness room's message: keep heads away from this server.
                """
        )

        @Option(
            help: ArgumentHelp(
                "A head kept elsewhere: the line 'noroshi audit head' printed, or a file holding it.",
                valueName: "line|file")) var head: String?
        @Option(
            help: ArgumentHelp(
                "The public key the signatures must be made with (base64, from 'audit head'); default: the data "
                    + "directory's key.", valueName: "base64")) var publicKey: String?
        @Flag(help: "Print JSON for scripts.") var json = false
        @OptionGroup var options: ServerOptions

        func run() async throws {
            try await CLIError.runAsync {
                var kept: AuditHead?
                if let head {
                    let text =
                        FileManager.default.fileExists(atPath: head)
                        ? try String(contentsOfFile: head, encoding: .utf8) : head
                    guard let parsed = AuditHead(line: text) else {
                        throw NoroshiError(
                            .invalidInput, "--head takes the line 'noroshi audit head' prints (noroshi-audit-head/1 …)."
                        )
                    }
                    kept = parsed
                }
                let result = try await options.openStore().verifyAudit(trustedKey: publicKey, head: kept)
                if json {
                    try Output.json(result)
                } else {
                    Self.describe(result)
                }
                if !result.isIntact { throw ExitCode.failure }
            }
        }

        static func describe(_ result: AuditVerification) {
            var summary = "Audit log: \(Output.grouped(Int(result.rows))) rows, \(result.checkpoints) checkpoints"
            if let last = result.lastCheckpoint {
                summary += "; the newest signs row \(last.seq) (\(Output.local(last.at)))."
            } else {
                summary += "."
            }
            print(summary)
            if result.trustedKey == nil {
                print("No signing key in the data directory and no --public-key: signatures were not checked.")
            }
            guard result.isIntact else {
                for (index, problem) in result.problems.enumerated() {
                    print(index == 0 ? "CHANGED: \(problem.message)" : "Also: \(problem.message)")
                }
                return
            }
            let unsigned = result.lastSeq - (result.lastCheckpoint?.seq ?? 0)
            if unsigned > 0 {
                print(
                    "\(unsigned) rows after the newest checkpoint are not signed yet; the next checkpoint signs them.")
            }
            print("Intact: every row matches its hash and every checkpoint its signature.")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show audit rows, oldest first: the newest --limit of those that match.",
            discussion: "Example:\n  noroshi audit show --incident F-2026-0042 --limit 20"
        )

        @Option(help: "Only rows about this incident (by number), or that name it (a merge, a move).")
        var incident: String?
        @Option(help: "Only changes by this token name (or 'console (root)' for the server's console).")
        var actor: String?
        @Option(help: "Only rows at or after this time (RFC 3339, e.g. 2026-12-05T09:00:00+09:00).")
        var since: String?
        @Option(help: "Only this action, or a family of them: report.accepted, incident, token, session, …")
        var action: String?
        @Option(help: "How many rows at most (the newest).") var limit = 50
        @Flag(help: "Print each change whole instead of one line of it.") var full = false
        @Flag(help: "Print JSON for scripts.") var json = false
        @OptionGroup var options: ServerOptions

        func validate() throws {
            if let since, RFC3339.date(from: since) == nil {
                throw ValidationError("--since takes an RFC 3339 time like 2026-12-05T09:00:00+09:00, not '\(since)'.")
            }
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit takes 1 to 100000.") }
        }

        func run() async throws {
            try await CLIError.runAsync {
                var filter = AuditFilter(
                    incident: incident, actor: actor, since: since.flatMap(RFC3339.date(from:)), action: action)
                filter.limit = limit
                let entries = try await options.openStore().auditEntries(filter)
                if json {
                    try Output.json(entries)
                    return
                }
                guard !entries.isEmpty else {
                    print("No audit rows match.")
                    return
                }
                for entry in entries {
                    let who = entry.actorTokenID.map { "\(entry.actor) (token \($0))" } ?? entry.actor
                    Output.line(
                        Output.truncate(
                            "#\(entry.seq)  \(Output.local(entry.at))  \(entry.action)  \(entry.subject)  by \(who)",
                            to: 80))
                    Output.line(full ? "    " + entry.change : Output.truncate("    " + entry.change, to: 80))
                }
            }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the newest signed head, one line to keep elsewhere (verify --head takes it back).",
            discussion: """
                The daemon signs a head every audit.checkpoint_minutes and at shutdown. --now signs the
                current one first, e.g. right before a backup or at the end of a shift.

                Example:
                  noroshi audit head --now >> /mnt/usb/noroshi-heads.txt
                """
        )

        @Flag(help: "Sign the current head first (when rows were added since the last checkpoint).") var now = false
        @Flag(help: "Print JSON for scripts.") var json = false
        @OptionGroup var options: ServerOptions

        func run() async throws {
            try await CLIError.runAsync {
                let store = try options.openStore()
                if now { _ = try await store.checkpointAudit() }
                guard let head = try await store.auditHead() else {
                    throw NoroshiError(
                        .notFound,
                        "No signed head yet: the daemon signs one at start and every audit.checkpoint_minutes; "
                            + "'noroshi audit head --now' signs one.")
                }
                if json {
                    try Output.json(head)
                } else {
                    print(head.line)
                }
            }
        }
    }
}
