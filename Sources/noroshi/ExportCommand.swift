import ArgumentParser
import Foundation
import NoroshiCore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export incidents or reports as CSV (for Excel) or GeoJSON (for GIS) (headquarters).",
        discussion: """
            Exports what the filters choose, as the list shows it: open real incidents by default; drills only \
            with --exercise. One row per incident, or per report with --reports. The file is written as it \
            arrives, so a large export never sits in memory.

            CSV is UTF-8 with a byte order mark, CRLF and RFC 4180 quoting, so that Excel opens it with Japanese \
            intact; headers are Japanese unless --lang en; times are JST; a count nobody reported says 未確認 \
            (unknown), never 0; a text starting with = + - or @ gets a leading ' so that a spreadsheet never \
            runs it. GeoJSON (RFC 7946) has one Point per incident or report (longitude, latitude; null without \
            a position), each incident's extent as its bbox.

            Examples:
              noroshi export csv --out incidents.csv
              noroshi export csv --reports --kind landslide --prefecture 岐阜県 -o a.csv
              noroshi export geojson --all --out all.geojson
              noroshi export geojson --reports > reports.geojson
            """
    )

    @Argument(help: "csv or geojson.") var format: String
    @Flag(help: "One row per report instead of per incident.") var reports = false
    @Option(help: "Only this kind: fire, landslide, avian_influenza, flood or other.") var kind: String?
    @Option(help: "Only incidents in this prefecture: its number (21) or name (岐阜県, 岐阜, gifu).")
    var prefecture: String?
    @Option(help: "Only incidents changed at or after this RFC 3339 time.") var since: String?
    @Flag(help: "Drill (exercise) incidents instead of real ones.") var exercise = false
    @Flag(help: "Closed, cancelled and merged incidents too.") var all = false
    @Option(help: "CSV headers and words: ja or en.") var lang = "ja"
    @Option(
        name: .shortAndLong, help: ArgumentHelp("The file to write (standard output without it).", valueName: "file"))
    var out: String?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard format == "csv" || format == "geojson" else { throw ValidationError("The format is csv or geojson.") }
        guard lang == "ja" || lang == "en" else { throw ValidationError("--lang must be ja or en.") }
    }

    func run() throws {
        try CLIError.run {
            var parameters = [("exercise", String(exercise)), ("state", all ? "all" : "open")]
            if format == "csv" { parameters.append(("lang", lang)) }
            if let kind {
                guard let parsed = IncidentKind(name: kind) else {
                    throw NoroshiError(.invalidInput, "Unknown kind '\(kind)'; use one of \(IncidentKind.allNames).")
                }
                parameters.append(("kind", parsed.rawValue))
            }
            if let prefecture { parameters.append(("prefecture", prefecture)) }
            if let since { parameters.append(("since", since)) }
            let query = parameters.map { "\($0.0)=" + Output.queryValue($0.1) }.joined(separator: "&")
            let path = "/v1/\(reports ? "reports" : "incidents").\(format)?" + query
            try client.client().download(path, to: out ?? "/dev/stdout")
            if let out {
                let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
                FileHandle.standardError.write(Data("Wrote \(out) (\(Output.grouped(size)) bytes).\n".utf8))
            }
        }
    }
}
