import Foundation
import NoroshiCore

extension AfterActionReport {
    /// The report for people: verdict first, then expectations, latencies, incidents, and the timeline.
    public var markdown: String {
        var lines: [String] = []
        let failed = expectations.filter { !$0.passed }.count
        lines.append("# After-action report: \(Self.cell(playbook))")
        lines.append("")
        if passed {
            lines.append("**PASS**: all \(expectations.count) expectations held.")
        } else {
            var why: [String] = []
            if failed > 0 { why.append("\(failed) of \(expectations.count) expectations failed") }
            if !problems.isEmpty {
                why.append("\(problems.count) problem\(problems.count == 1 ? "" : "s") while running")
            }
            lines.append("**FAIL**: \(why.joined(separator: "; ")).")
        }
        lines.append("")
        if !description.isEmpty {
            lines.append(description.trimmingCharacters(in: .whitespacesAndNewlines))
            lines.append("")
        }
        let drill = Duration.milliseconds(Int64(drillSeconds * 1000))
        lines += [
            "| | |", "|---|---|",
            "| playbook | `\(file)` |",
            "| mode | \(mode) |",
            "| drill time | \(RFC3339.string(from: startedAt, utcOffset: 9 * 3600)) (JST), \(DrillTime.length(drill)) of scenario in "
                + String(format: "%.1f s", realSeconds) + " |",
            "| reports | \(reports.count) |",
            "| incidents | \(incidents.map(\.number).joined(separator: ", ")) |",
            "| messages | \(messages.delivered) taken, \(messages.failedAttempts) failed attempts, "
                + "\(messages.repeats) repeats, \(messages.pending) pending, \(messages.dead) dead letters |",
            "",
        ]
        if !problems.isEmpty {
            lines.append("## Problems")
            lines.append("")
            for problem in problems { lines.append("- \(Self.cell(problem))") }
            lines.append("")
        }
        lines += ["## Expectations", "", "| line | expectation | verdict | observed |", "|---|---|---|---|"]
        for verdict in expectations {
            lines.append(
                "| \(verdict.line) | \(Self.cell(verdict.expectation)) | \(verdict.passed ? "PASS" : "**FAIL**") | "
                    + "\(Self.cell(verdict.observed)) |")
        }
        lines += [
            "", "## Latencies", "",
            "Drill time, from the inject that sent a report. *Report → incident*: until the report was in the "
                + "incident it ended up in (at intake, or when HQ linked or merged it). *Report → first chat "
                + "message*: until a room took a summary that already counted the report.",
            "", "| measure | room | reports | p50 | p95 | max | never |", "|---|---|---|---|---|---|---|",
        ]
        for latency in latencies {
            let values = [latency.p50, latency.p95, latency.max].map { value in
                value.map { DrillTime.length(.milliseconds(Int64(($0 * 1000).rounded()))) } ?? "–"
            }
            lines.append(
                "| \(latency.measure) | \(latency.room ?? "any") | \(latency.count) | "
                    + values.joined(separator: " | ") + " | \(latency.missing) |")
        }
        lines += ["", "## Incidents", "", "| incident | kind | status | reports | exercise |", "|---|---|---|---|---|"]
        for incident in incidents {
            let status = incident.mergedInto.map { "merged into \($0)" } ?? incident.status.rawValue
            lines.append(
                "| \(incident.number) \(Self.cell(incident.title)) | \(incident.kind.rawValue) | \(status) | "
                    + "\(incident.reports) | \(incident.exercise ? "yes" : "**no**") |")
        }
        lines += ["", "## Timeline", "", "| time | | what |", "|---|---|---|"]
        for entry in timeline {
            let at = DrillTime.format(.milliseconds(Int64((entry.at * 1000).rounded())))
            lines.append("| \(at) | \(entry.source) | \(Self.cell(entry.text)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text that is safe inside a Markdown table cell.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

extension AfterActionReport {
    /// A few lines for a terminal: the verdict, and each failed expectation or problem.
    public var summary: String {
        var lines = [
            "\(passed ? "PASS" : "FAIL"): \(playbook) — \(expectations.filter(\.passed).count) of "
                + "\(expectations.count) expectations held"
        ]
        for verdict in expectations where !verdict.passed {
            lines.append("  FAIL line \(verdict.line): \(verdict.expectation) — \(verdict.observed)")
        }
        for problem in problems { lines.append("  problem: \(problem)") }
        return lines.joined(separator: "\n")
    }
}
