import ArgumentParser
import Foundation
import NoroshiClient
import NoroshiCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show open incidents at a glance (headquarters).",
        discussion: """
            One line per incident, most recently active first, made to fit 80 columns: number, kind,
            status, severity, place, reports (RPT), casualties as dead/missing/injured (D/M/I), the
            30-minute rule (SOKUHO) and the last activity (ACTIVE: now, 5m, 3h, 2d ago). A count shown as
            ? was never reported: it is unknown, not zero ('noroshi incident show' has every count).
            SOKUHO: "#2 +15m" means two 報 issued, the first 15 minutes after 覚知 (the first report's
            receipt); "due 18m" means no 第1報 yet, 18 minutes left; "LATE 5m" means none, 5 minutes past
            the deadline. Real incidents only unless --exercise (drills only) or --all (real and drills,
            open and closed). When more match than --limit, the last line says how many were shown.
            Needs an hq or admin token.

            Examples:
              noroshi status
              noroshi status --kind fire --limit 200
              noroshi status --prefecture 岐阜県
              noroshi status --exercise
              noroshi status --all --json
            """
    )

    @Option(help: "Only this kind: fire, landslide, avian_influenza, flood or other.")
    var kind: String?

    @Option(help: "Only incidents in this prefecture: its number (21) or name (岐阜県, 岐阜, gifu).")
    var prefecture: String?

    @Flag(help: "Show drill (exercise) incidents instead of real ones.")
    var exercise = false

    @Flag(help: "Include closed, cancelled and merged incidents.")
    var closed = false

    @Flag(help: "Everything: real and drill incidents, open and closed.")
    var all = false

    @Option(help: "Show at most this many incidents (1 to 5000).")
    var limit = 50

    @Flag(help: "Print JSON for scripts instead of a table.")
    var json = false

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard (1...5000).contains(limit) else { throw ValidationError("--limit must be from 1 to 5000.") }
    }

    func run() throws {
        try CLIError.run {
            var query = "?state=" + (all || closed ? "all" : "open") + "&limit=\(limit)"
            if !all { query += "&exercise=\(exercise)" }
            if let prefecture {
                // The server checks the name and says what it takes.
                query += "&prefecture=" + Output.queryValue(prefecture)
            }
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
            let what =
                exercise ? "drill incidents" : all ? "incidents" : closed ? "real incidents" : "open real incidents"
            guard !list.incidents.isEmpty else {
                print("No \(what).")
                return
            }
            let now = Date()
            Output.table(
                ["NUMBER", "KIND", "STATUS", "SEV", "PLACE", "RPT", "D/M/I", "SOKUHO", "ACTIVE"],
                list.incidents.map { incident in
                    let status = incident.mergedInto.map { "merged → \($0)" } ?? incident.status.rawValue
                    return [
                        incident.number + (incident.exercise ? " [drill]" : ""),
                        Output.shortKind(incident.kind),
                        status,
                        incident.severity.map { "\($0)/5" } ?? "-",
                        Output.truncate(Terminal.visible(Output.place(of: incident)), to: 14),
                        String(incident.reportCount),
                        Output.casualties(incident.casualties),
                        Output.sokuho(incident, now: now),
                        Output.ago(incident.lastActivityAt, now: now),
                    ]
                }
            )
            let total = list.total ?? list.incidents.count
            if total > list.incidents.count {
                print(
                    "\(Output.grouped(list.incidents.count)) of \(Output.grouped(total)) \(what) shown (--limit to see more)."
                )
            }
        }
    }
}
