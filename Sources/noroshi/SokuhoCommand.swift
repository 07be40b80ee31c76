import ArgumentParser
import Foundation
import NoroshiCore

struct SokuhoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sokuho",
        abstract: "Issue and print 即報 (第1報, 第2報 …) for the prefecture, as the FDMA rules ask (headquarters).",
        discussion: """
            A municipality sends the prefecture a 第1報 within 30 minutes of 覚知 (when the incident's first \
            report was received), then further 報 as facts firm up (火災・災害等即報要領). Each 報 is a snapshot of \
            the incident: place, 覚知, 人的被害, 住家被害, 災害対策本部 and the situation in HQ's words. It is \
            stored as issued and never changed; a correction is the next 報. Each one is also posted to the \
            incident's chat rooms.

            Examples:
              noroshi sokuho issue F-2026-0042
              noroshi sokuho issue F-2026-0042 --situation "Barn fire, spread to the house; 2 injured."
              noroshi sokuho issue F-2026-0042 --situation-file situation.txt
              noroshi sokuho list F-2026-0042
              noroshi sokuho show F-2026-0042 1
              noroshi sokuho show F-2026-0042 1 --html -o dai1po.html
            """,
        subcommands: [Issue.self, List.self, Show.self]
    )

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue the incident's next 報.",
            discussion: """
                Without --situation, 災害の概況 is drafted from the latest five reports (time, unit, text); \
                'noroshi sokuho list' shows that draft first.
                """
        )

        @Argument(help: "Incident number or id.") var incident: String
        @Option(help: "災害の概況 in your words (default: drafted from the latest reports).") var situation: String?
        @Option(help: ArgumentHelp("Read 災害の概況 from this file (UTF-8).", valueName: "file"))
        var situationFile: String?
        @Option(help: "The moment the facts describe (RFC 3339); default: now.") var asOf: String?
        @Flag(help: "Print the issued 報 as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if situation != nil, situationFile != nil {
                throw ValidationError("Give --situation or --situation-file, not both.")
            }
        }

        func run() throws {
            try CLIError.run {
                var text = situation
                if let situationFile {
                    do { text = try String(contentsOfFile: situationFile, encoding: .utf8) } catch {
                        throw NoroshiError(.invalidInput, "Cannot read '\(situationFile)' as UTF-8 text.")
                    }
                }
                let body = IssueBody(situation: text, asOf: asOf)
                let (sokuho, _) = try client.client().call(
                    "POST", "/v1/incidents/\(incident.urlComponentEncoded)/sokuho", body: body, as: Sokuho.self)
                if json { return try Output.json(sokuho) }
                Swift.print(
                    "Issued \(sokuho.label) for \(sokuho.incidentNumber), as of \(Output.local(sokuho.asOf)).")
                Show.print(sokuho)
                Swift.print("")
                Swift.print(
                    "Printable form: noroshi sokuho show \(sokuho.incidentNumber) \(sokuho.sequence) --html -o file.html"
                )
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an incident's issued 報 and show the draft of the next one.")

        @Argument(help: "Incident number or id.") var incident: String
        @Flag(help: "Print JSON for scripts.") var json = false
        @OptionGroup var client: ClientOptions

        func run() throws {
            try CLIError.run {
                let (list, _) = try client.client().call(
                    "GET", "/v1/incidents/\(incident.urlComponentEncoded)/sokuho", as: SokuhoList.self)
                if json { return try Output.json(list) }
                if list.sokuho.isEmpty {
                    Swift.print("No 報 issued for \(list.incident) yet.")
                } else {
                    Output.table(
                        ["報", "ISSUED", "AS OF", "BY", "DEAD", "INJURED"],
                        list.sokuho.map { s in
                            [
                                s.label, Output.local(s.issuedAt), Output.local(s.asOf),
                                Output.truncate(s.reporter, to: 20), s.casualties.dead.map(String.init) ?? "?",
                                s.casualties.injured.map(String.init) ?? "?",
                            ]
                        })
                }
                Swift.print("")
                Swift.print("Next: 第\(list.nextSequence)報. Drafted situation:")
                for line in list.draftSituation.split(separator: "\n") { Output.line("  " + line) }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one issued 報, or save it as the printable A4 form (--html).")

        @Argument(help: "Incident number or id.") var incident: String
        @Argument(help: "N of 第N報.") var sequence: Int
        @Flag(help: "The printable form (HTML, A4, laid out like 第4号様式 / 第1号様式).") var html = false
        @Flag(help: "Print JSON for scripts.") var json = false
        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "With --html: the file to write (default: standard output).",
                valueName: "file"))
        var out: String?
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard sequence > 0 else { throw ValidationError("報 are numbered from 1.") }
            if html, json { throw ValidationError("Give --html or --json, not both.") }
        }

        func run() throws {
            try CLIError.run {
                let path = "/incidents/\(incident.urlComponentEncoded)/sokuho/\(sequence)"
                if html {
                    let api = client.client()
                    let page = String(decoding: try api.download(path), as: UTF8.self)
                    // The saved file stands alone (to mail, archive or print offline): the style goes inline.
                    let css = String(decoding: try api.download("/assets/sokuho.css"), as: UTF8.self)
                    let text = page.replacingOccurrences(
                        of: #"<link rel="stylesheet" href="/assets/sokuho.css">"#, with: "<style>\n\(css)</style>")
                    if let out {
                        do { try Data(text.utf8).write(to: URL(fileURLWithPath: out)) } catch {
                            throw NoroshiError(.invalidInput, "Cannot write '\(out)'.", cause: error)
                        }
                        FileHandle.standardError.write(Data("Wrote \(out).\n".utf8))
                    } else {
                        FileHandle.standardOutput.write(Data(text.utf8))
                    }
                    return
                }
                let (sokuho, _) = try client.client().call("GET", "/v1" + path, as: Sokuho.self)
                if json { return try Output.json(sokuho) }
                Self.print(sokuho)
            }
        }

        static func print(_ s: Sokuho) {
            Output.line("\(s.exercise ? "【訓練】" : "")\(s.title)（\(s.label)）  \(s.incidentNumber)")
            Swift.print("  報告日時:   \(Output.local(s.issuedAt))   (\(Output.local(s.asOf)) 現在)")
            Output.line("  報告者:     \(s.reporter)")
            Swift.print("  都道府県:   \(s.prefecture ?? "未確認")   市町村: \(s.municipality ?? "未確認")")
            Output.line("  発生場所:   \(s.place)")
            Swift.print("  覚知:       \(Output.local(s.kakuchi))")
            Swift.print("  人的被害:   \(s.casualties.text(japanese: true))")
            Swift.print("  住家被害:   \(s.homes.text(japanese: true))")
            let hq = s.headquarters.map { "\($0.level.japaneseName) (\(Output.local($0.since)))" } ?? "未確認"
            Swift.print("  本部:       \(hq)")
            Swift.print("  概況:")
            for line in s.situation.split(separator: "\n", omittingEmptySubsequences: false) {
                Output.line("    " + line)
            }
        }
    }
}

/// The body of `POST /v1/incidents/{ref}/sokuho`.
private struct IssueBody: Encodable {
    var situation: String?
    var asOf: String?

    enum CodingKeys: String, CodingKey {
        case situation
        case asOf = "as_of"
    }
}
