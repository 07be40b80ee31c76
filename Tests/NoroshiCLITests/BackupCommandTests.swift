import Foundation
import GRDB
import NoroshiHTTPClient
import NoroshiStorage
import NoroshiTesting
import Testing

/// `noroshi backup`, `restore` and `check` on a real daemon's data directory: a backup taken while reports and
/// photos keep arriving restores to a store that passes `check`; damage in the backup stops a restore; a
/// report text edited in the database file is named by `check`.
@Suite struct BackupCommandTests {
    @Test func aBackupTakenUnderLoadRestoresToAStoreThatPassesCheck() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        let first = try await daemon.sendReport(token: field, key: "first")
        #expect(first.status == 201, "\(first.text)")
        let photo = try Data(contentsOf: FixtureFiles.photo("chiba-poultry-farm.jpg"))
        let stored = try await client.send(
            HTTPRequest(
                method: "POST", url: daemon.url + "/v1/reports/1/photos",
                headers: [("Authorization", "Bearer \(field)"), ("Content-Type", "image/jpeg")], body: photo))
        #expect(stored.status == 201, "\(stored.text)")
        // Its copies are made before the load starts, so that the backup has all three of its files.
        let database = try DatabaseQueue(
            path: URL(fileURLWithPath: setup.dataDirectory).appendingPathComponent(Store.databaseFileName).path)
        let deadline = Date().addingTimeInterval(30)
        while try await database.read({ db in try String.fetchOne(db, sql: "SELECT derivatives FROM photo") })
            != "ready",
            Date() < deadline
        {
            try await Task.sleep(for: .milliseconds(100))
        }

        // Reports keep coming while the backup runs.
        let load = Task {
            var sent = 0
            while !Task.isCancelled, sent < 400 {
                let answer = try await daemon.sendReport(token: field, key: "load-\(sent)", text: "Report \(sent)")
                #expect(answer.status == 201)
                sent += 1
            }
            return sent
        }
        try await Task.sleep(for: .milliseconds(300))
        let folder = setup.root.url.appendingPathComponent("backup").path
        let data = ["--data-dir", setup.dataDirectory]
        let backup = try await setup.tool.runInBackground(["backup", folder, "--json"] + data)
        load.cancel()
        let sent = try await load.value
        #expect(backup.status == 0, "\(backup.errors)")
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(backup.output.utf8)) as? [String: Any])
        let reports = try #require(manifest["reports"] as? Int)
        #expect(reports > 1 && reports <= sent + 1, "\(reports) of \(sent + 1)")
        #expect(manifest["photos"] as? Int == 1)

        // Standard tools read the checksums.
        let sums = try ChildProcess.run(
            "/bin/sh", ["-c", "cd \"$0\" && exec sha256sum --check --quiet SHA256SUMS", folder])
        #expect(sums == 0)

        let restored = setup.root.url.appendingPathComponent("restored").path
        let restore = try setup.tool.run(["restore", folder, "--data-dir", restored])
        #expect(restore.status == 0, "\(restore.errors)")
        let refused = try setup.tool.run(["restore", folder, "--data-dir", restored])
        #expect(refused.status == 1 && refused.errors.contains("already holds a database"), "\(refused.errors)")

        let check = try setup.tool.run(["check", "--json", "--data-dir", restored])
        #expect(check.status == 0, "\(check.output)\(check.errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(check.output.utf8)) as? [String: Any])
        let evidence = try #require(result["evidence"] as? [String: Any])
        #expect(evidence["reports"] as? Int == reports && evidence["photo_links"] as? Int == 1)
        #expect(result["photo_files"] as? Int == 3)  // the original and its two copies
        let text = try setup.tool.run(["check", "--data-dir", restored])
        #expect(text.output.hasSuffix("Clean.\n"), "\(text.output)")

        // A damaged file in a backup stops a restore before anything is written.
        let damaged = try #require(
            try FileManager.default.subpathsOfDirectory(atPath: folder + "/photos").first { $0.hasSuffix(".thumb.jpg") }
        )
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/photos/" + damaged))
        try handle.seek(toOffset: 100)
        handle.write(Data([0x00, 0x01, 0x02]))
        try handle.close()
        let verify = try setup.tool.run(["restore", "--verify-only", folder])
        #expect(verify.status == 1)
        #expect(
            verify.errors.contains("photos/\(damaged) in the backup does not match its SHA-256"), "\(verify.errors)")
        let elsewhere = setup.root.url.appendingPathComponent("elsewhere").path
        #expect(try setup.tool.run(["restore", folder, "--data-dir", elsewhere]).status == 1)
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/" + Store.databaseFileName))
    }

    @Test func checkNamesAReportTextEditedInTheDatabaseFile() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        for index in 1...2 {
            #expect(
                try await daemon.sendReport(token: field, key: "k\(index)", text: "Barn fire \(index)").status == 201)
        }
        #expect(daemon.stop() == 0)
        let data = ["--data-dir", setup.dataDirectory]
        #expect(try setup.tool.run(["check"] + data).status == 0)
        let queue = try DatabaseQueue(
            path: URL(fileURLWithPath: setup.dataDirectory).appendingPathComponent(Store.databaseFileName).path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE report SET text = 'Nothing happened' WHERE client_key = 'k2'")
        }
        let check = try setup.tool.run(["check"] + data)
        #expect(check.status == 1)
        #expect(
            check.output.contains(
                "Report 2: text is “Nothing happened” in the database but “Barn fire 2” in the audit log (row 4)."),
            "\(check.output)")
        #expect(
            check.output.contains("FAIL  data against the audit log") && check.output.hasSuffix("Problems found.\n"))
    }
}
