import Foundation
import GRDB
import NoroshiStorage
import NoroshiTesting
import Testing

/// `noroshi audit` on the data directory of a real daemon: the head signed at shutdown covers every change, a
/// clean log verifies, and a report text edited in the database file is named with exit status 1.
@Suite struct AuditCommandTests {
    @Test func theShutdownCheckpointSignsEveryChangeAndAnEditIsNamed() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        for index in 1...3 {
            let sent = try await daemon.sendReport(token: field, key: "k\(index)", text: "Barn fire \(index)")
            #expect(sent.status == 201, "\(sent.text)")
        }
        #expect(daemon.stop() == 0)

        let data = ["--data-dir", setup.dataDirectory]
        let shown = try setup.tool.run(["audit", "show", "--json"] + data)
        #expect(shown.status == 0, "\(shown.errors)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [[String: Any]])
        #expect(
            rows.compactMap { $0["action"] as? String } == [
                "token.created", "configuration.loaded", "report.accepted", "report.accepted", "report.accepted",
            ])
        #expect(rows[2]["actor"] as? String == "Hida FD station 2" && rows[2]["actor_token_id"] as? Int == 1)

        // The head signed at shutdown is the last row's.
        let head = try setup.tool.run(["audit", "head"] + data)
        #expect(head.status == 0, "\(head.errors)")
        #expect(head.output.hasPrefix("noroshi-audit-head/1 seq=5 "), "\(head.output)")
        let headFile = setup.root.url.appendingPathComponent("head.txt").path
        try head.output.write(toFile: headFile, atomically: true, encoding: .utf8)

        let clean = try setup.tool.run(["audit", "verify", "--head", headFile] + data)
        #expect(clean.status == 0, "\(clean.output)\(clean.errors)")
        #expect(clean.output.contains("Audit log: 5 rows, 2 checkpoints; the newest signs row 5"), "\(clean.output)")
        #expect(clean.output.contains("Intact"))

        // Someone with the file rewrites a report's text, in the report and in its audit row.
        let queue = try DatabaseQueue(
            path: URL(fileURLWithPath: setup.dataDirectory).appendingPathComponent(Store.databaseFileName).path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE report SET text = 'Nothing happened' WHERE client_key = 'k2'")
            try db.execute(
                sql: "UPDATE audit SET change = replace(change, 'Barn fire 2', 'Nothing happened') WHERE seq = 4")
        }
        let tampered = try setup.tool.run(["audit", "verify"] + data)
        #expect(tampered.status == 1)
        #expect(
            tampered.output.contains(
                "CHANGED: Row 4 (report.accepted report 2) does not match its hash"), "\(tampered.output)")
        let json = try setup.tool.run(["audit", "verify", "--json"] + data)
        #expect(json.status == 1)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let problems = try #require(result["problems"] as? [[String: Any]])
        #expect(problems.first?["seq"] as? Int == 4 && problems.first?["kind"] as? String == "edited")

        // A head that is not one is refused with what to give.
        let wrong = try setup.tool.run(["audit", "verify", "--head", "seq=5"] + data)
        #expect(wrong.status == 1 && wrong.errors.contains("--head takes the line 'noroshi audit head' prints"))
    }
}
