import ArgumentParser
import Foundation
import NoroshiCore
import NoroshiServer

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show open incidents at a glance (headquarters).",
        discussion: """
            One line per incident: number, kind, status, place, reports and last activity.
            Exercise incidents are marked [drill]. Needs an hq or admin token.

            Examples:
              noroshi status
              noroshi status --kind fire
              noroshi status --all --json
            """
    )

    @Option(help: "Only this kind: fire, landslide, avian_influenza, flood or other.")
    var kind: String?

    @Flag(help: "Include closed, cancelled and merged incidents.")
    var all = false

    @Flag(help: "Print JSON for scripts instead of a table.")
    var json = false

    @OptionGroup var client: ClientOptions

    func run() throws {
        try CLIError.run {
            var query = all ? "?state=all" : "?state=open"
            if let kind {
                guard let parsed = IncidentKind(name: kind) else {
                    throw NoroshiError(.invalidInput, "Unknown kind '\(kind)'; use one of \(IncidentKind.allNames).")
                }
                query += "&kind=\(parsed.rawValue)"
            }
            let (list, _) = try client.client().call("GET", "/v1/incidents" + query, as: IncidentList.self)
            if json {
                try Output.json(list)
                return
            }
            guard !list.incidents.isEmpty else {
                print(all ? "No incidents." : "No open incidents.")
                return
            }
            let now = Date()
            Output.table(
                ["NUMBER", "KIND", "STATUS", "PLACE", "REPORTS", "LAST ACTIVITY"],
                list.incidents.map { incident in
                    let status = incident.mergedInto.map { "merged → \($0)" } ?? incident.status.rawValue
                    return [
                        incident.number + (incident.exercise ? " [drill]" : ""),
                        incident.kind.rawValue,
                        status,
                        Output.truncate(Output.place(of: incident), to: 32),
                        String(incident.reportCount),
                        Output.relative(incident.lastActivityAt, now: now),
                    ]
                }
            )
        }
    }
}
