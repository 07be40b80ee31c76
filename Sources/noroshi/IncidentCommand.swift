import ArgumentParser
import Foundation
import NoroshiCore
import NoroshiHTTPClient

struct IncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "Show and change one incident (headquarters).",
        discussion: """
            Examples:
              noroshi incident show F-2026-0042
              noroshi incident set-status F-2026-0042 responding
              noroshi incident set-title F-2026-0042 "Barn fire, Furukawa"
              noroshi incident set-severity F-2026-0042 3
              noroshi incident set-counts F-2026-0042 --dead 0 --severely-injured 1
              noroshi incident set-headquarters F-2026-0042 response
              noroshi incident merge F-2026-0042 F-2026-0043
              noroshi incident link 17 F-2026-0042
              noroshi incident unlink 17
            """,
        subcommands: [
            Show.self, SetStatus.self, SetTitle.self, SetSeverity.self, SetCounts.self, SetHeadquarters.self,
            Merge.self, Link.self, Unlink.self,
        ]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an incident with its reports and timeline.",
            discussion: """
                A merged incident's number shows the incident it was merged into.

                Examples:
                  noroshi incident show F-2026-0042
                  noroshi incident show F-2026-0042 --json
                """
        )

        @Argument(help: "Incident number (e.g. F-2026-0042) or id.") var incident: String
        @Flag(help: "Print JSON for scripts.") var json = false
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let (detail, _) = try client.client().call(
                    "GET", "/v1/incidents/\(incident.urlComponentEncoded)", as: IncidentDetail.self)
                if json { try Output.json(detail) } else { Self.print(detail) }
            }
        }

        static func print(_ detail: IncidentDetail) {
            let incident = detail.incident
            let now = Date()
            Output.line("\(incident.number)  \(incident.title)\(incident.exercise ? "  [drill]" : "")")
            var status = incident.status.rawValue
            if let merged = incident.mergedInto { status += " (merged into \(merged))" }
            let severity = incident.severity.map(String.init) ?? "unassessed"
            Swift.print("  Kind:      \(incident.kind.englishName)")
            Swift.print("  Status:    \(status)")
            Swift.print("  Severity:  \(severity)")
            Output.line("  Place:     \(Output.place(of: incident))")
            if incident.area != nil, let place = incident.place { Output.line("  Named:     \(place)") }
            if let area = incident.area { Swift.print("  Area code: \(area.code) (全国地方公共団体コード)") }
            if let centre = incident.centre {
                Swift.print(String(format: "  Centre:    %.5f, %.5f", centre.latitude, centre.longitude))
            }
            Swift.print(
                "  Opened:    \(Output.local(incident.openedAt)) (\(Output.relative(incident.openedAt, now: now)))")
            Swift.print(
                "  Activity:  \(Output.local(incident.lastActivityAt)) (\(Output.relative(incident.lastActivityAt, now: now)))"
            )
            Swift.print("  Casualties: \(incident.casualties.text(japanese: false))")
            Swift.print("  Homes:     \(incident.homes.text(japanese: false)) (buildings)")
            let hq = incident.headquarters.map {
                "\($0.level.englishName), since \(Output.local($0.since))"
            }
            Swift.print("  HQ:        \(hq ?? "not recorded")")
            if let state = incident.sokuho {
                let first = state.firstIssuedAt.map { "第1報 at \(Output.local($0))" } ?? "no 第1報 yet"
                Swift.print(
                    "  Sokuho:    \(state.count) issued, \(first); due \(Output.local(state.dueAt)) (\(Output.sokuho(incident, now: now)))"
                )
            }
            if !detail.mergedFrom.isEmpty {
                Swift.print("  Merged from: \(detail.mergedFrom.joined(separator: ", "))")
            }
            Swift.print("")
            Swift.print("Reports (\(detail.reports.count)):")
            for report in detail.reports {
                let position = report.position.map { String(format: "%.5f, %.5f", $0.latitude, $0.longitude) }
                let from = [report.unit, report.reporter].compactMap { $0 }.joined(separator: ", ")
                Output.line(
                    "  #\(report.id)  \(Output.local(report.observedAt)) (\(report.observedAtSource.rawValue))  "
                        + (from.isEmpty ? report.submittedBy : from))
                let at = [report.area?.name(japanese: true), report.place, position].compactMap { $0 }
                if !at.isEmpty { Output.line("    at " + at.joined(separator: ", ")) }
                if !report.casualties.isEmpty {
                    Swift.print("    casualties: \(report.casualties.text(japanese: false))")
                }
                if !report.homes.isEmpty { Swift.print("    homes: \(report.homes.text(japanese: false))") }
                for line in report.text.split(separator: "\n", omittingEmptySubsequences: false) {
                    Output.line("    " + line)
                }
            }
            Swift.print("")
            Swift.print("Photos (\(detail.photos.count)):")
            for item in detail.photos {
                let photo = item.photo
                Swift.print(
                    "  \(photo.sha256)  report \(item.reportID)  \(photo.width)×\(photo.height)  "
                        + "copies \(photo.derivatives.rawValue)")
            }
            Swift.print("")
            Swift.print("Timeline:")
            Output.table(
                ["WHEN", "BY", "WHAT"],
                detail.timeline.map { [Output.local($0.at), Output.truncate($0.actor, to: 24), $0.message] }
            )
        }
    }

    struct SetStatus: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-status",
            abstract: "Move an incident to a new status.",
            discussion: """
                Statuses: reported → confirmed → responding → contained → closed. An open incident may
                skip ahead but not go back; any open incident may be cancelled (a false alarm); a closed
                one may be reopened. A refused change names the allowed ones.

                Example:
                  noroshi incident set-status F-2026-0042 contained
                """
        )

        @Argument(help: "Incident number or id.") var incident: String
        @Argument(help: "reported, confirmed, responding, contained, closed or cancelled.") var status: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                guard let parsed = IncidentStatus(rawValue: status.lowercased()) else {
                    throw NoroshiError(
                        .invalidInput, "Unknown status '\(status)'; use one of \(IncidentStatus.allNames).")
                }
                let changed = try change(incident, ChangeRequest(status: parsed.rawValue), client: client)
                print("Incident \(changed.number) is now \(changed.status.rawValue).")
            }
        }
    }

    struct SetTitle: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-title",
            abstract: "Give an incident a clearer title.",
            discussion: "Example:\n  noroshi incident set-title F-2026-0042 \"Barn fire, Furukawa\""
        )

        @Argument(help: "Incident number or id.") var incident: String
        @Argument(help: "The new title.") var title: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let changed = try change(incident, ChangeRequest(title: title), client: client)
                print("Incident \(changed.number) is now titled “\(changed.title)”.")
            }
        }
    }

    struct SetSeverity: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-severity",
            abstract: "Assess an incident's severity, 1 (minor) to 5 (catastrophic).",
            discussion: "Example:\n  noroshi incident set-severity F-2026-0042 3"
        )

        @Argument(help: "Incident number or id.") var incident: String
        @Argument(help: "1 to 5.") var severity: Int
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let changed = try change(incident, ChangeRequest(severity: severity), client: client)
                print("Incident \(changed.number) now has severity \(changed.severity.map(String.init) ?? "-").")
            }
        }
    }

    struct SetCounts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-counts",
            abstract: "Set casualty and home damage counts as HQ has confirmed them.",
            discussion: """
                Each count given replaces the incident's, until a report observed later carries a newer one.
                Counts left out stay as they are; a count never reported or set is unknown (未確認), not 0.

                Examples:
                  noroshi incident set-counts F-2026-0042 --dead 0 --injured 3 --severely-injured 1
                  noroshi incident set-counts L-2026-0007 --homes-destroyed 2 --homes-partially-damaged 5
                """
        )

        @Argument(help: "Incident number or id.") var incident: String
        @OptionGroup(title: "Counts") var counts: CountOptions
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if counts.casualties.isEmpty, counts.homes.isEmpty {
                throw ValidationError("Give at least one count, e.g. --dead 0 or --homes-destroyed 2.")
            }
        }

        func run() throws {
            try CLIError.run {
                let request = ChangeRequest(
                    casualties: counts.casualties.isEmpty ? nil : counts.casualties,
                    homes: counts.homes.isEmpty ? nil : counts.homes)
                let changed = try change(incident, request, client: client)
                print("Incident \(changed.number): casualties \(changed.casualties.text(japanese: false)).")
                print("Homes: \(changed.homes.text(japanese: false)).")
            }
        }
    }

    struct SetHeadquarters: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-headquarters",
            abstract: "Record the 災害対策本部 設置状況: none, alert (警戒本部) or response (災害対策本部).",
            discussion: """
                The time is when it was set up; it defaults to now.

                Examples:
                  noroshi incident set-headquarters F-2026-0042 alert
                  noroshi incident set-headquarters F-2026-0042 response --since 2026-11-21T14:30:00+09:00
                """
        )

        @Argument(help: "Incident number or id.") var incident: String
        @Argument(help: "none, alert or response.") var level: String
        @Option(help: "When it was set up (RFC 3339); default: now.") var since: String?
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                guard let parsed = HeadquartersStatus.Level(rawValue: level.lowercased()) else {
                    throw NoroshiError(
                        .invalidInput,
                        "Unknown headquarters level '\(level)'; use one of \(HeadquartersStatus.Level.allNames).")
                }
                if let since, RFC3339.date(from: since) == nil {
                    throw NoroshiError(
                        .invalidInput, "--since is not an RFC 3339 time such as 2026-11-21T14:30:00+09:00.")
                }
                let request = ChangeRequest(headquarters: HeadquartersBody(level: parsed.rawValue, since: since))
                let changed = try change(incident, request, client: client)
                let hq = changed.headquarters
                print(
                    "Incident \(changed.number): \(hq?.level.englishName ?? "not recorded")"
                        + (hq.map { " since \(Output.local($0.since))" } ?? "") + ".")
            }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge incident B into incident A; B's reports move to A and B's number resolves to A.",
            discussion: """
                Use it when two crews opened separate incidents for one event.

                Example:
                  noroshi incident merge F-2026-0042 F-2026-0043
                """
        )

        @Argument(help: "The incident that remains (A).") var target: String
        @Argument(help: "The incident merged into it (B).") var source: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let (incident, _) = try client.client().call(
                    "POST", "/v1/incidents/\(target.urlComponentEncoded)/merge", body: ["source": source],
                    as: Incident.self)
                print("Merged \(source) into \(incident.number); it now has \(incident.reportCount) reports.")
            }
        }
    }

    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a report into another incident by hand; automatic linking never moves it again.",
            discussion: "Example:\n  noroshi incident link 17 F-2026-0042"
        )

        @Argument(help: "Report id.") var report: Int64
        @Argument(help: "Incident number or id.") var incident: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let (moved, _) = try client.client().call(
                    "POST", "/v1/reports/\(report)/link", body: ["incident": incident], as: Report.self)
                print("Report \(moved.id) now belongs to incident \(moved.incidentNumber).")
            }
        }
    }

    struct Unlink: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a report out of its incident into a new incident of its own.",
            discussion: "Example:\n  noroshi incident unlink 17"
        )

        @Argument(help: "Report id.") var report: Int64
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let (moved, _) = try client.client().call(
                    "POST", "/v1/reports/\(report)/unlink", body: Optional<String>.none, as: Report.self)
                print("Report \(moved.id) now has an incident of its own: \(moved.incidentNumber).")
            }
        }
    }
}

/// The body of `PATCH /v1/incidents/{ref}`.
private struct ChangeRequest: Encodable {
    var status: String?
    var title: String?
    var severity: Int?
    var casualties: Casualties?
    var homes: HomeDamage?
    var headquarters: HeadquartersBody?
}

/// `headquarters` in the body of `PATCH /v1/incidents/{ref}`.
struct HeadquartersBody: Codable {
    var level: String
    var since: String?
}

private func change(_ incident: String, _ request: ChangeRequest, client: ClientOptions) throws -> Incident {
    try client.client().call(
        "PATCH", "/v1/incidents/\(incident.urlComponentEncoded)", body: request, as: Incident.self
    ).0
}
