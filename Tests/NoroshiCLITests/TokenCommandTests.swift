import Foundation
import NoroshiHTTPClient
import NoroshiTesting
import Testing

/// `noroshi token`: expiry, last use, and no database made by accident (issue 17, item 6). Regression: `token
/// create` on a data directory without a database silently created an empty one, which the daemon never read.
@Suite struct TokenCommandTests {
    @Test func createRefusesADirectoryWithoutADatabaseUnlessToldToInit() throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let mistyped = setup.root.url.appendingPathComponent("noroshi-dta").path
        for arguments in [
            ["token", "create", "--role", "admin", "--name", "HQ admin", "--data-dir", mistyped],
            ["token", "list", "--data-dir", mistyped],
        ] {
            let refused = try setup.tool.run(arguments)
            #expect(refused.status == 1)
            #expect(
                refused.errors
                    == "noroshi: There is no Noroshi database in '\(mistyped)' (no noroshi.sqlite). Give the daemon's "
                    + "--data-dir, or --init to create a new one there.\n", "\(refused.errors)")
            #expect(!FileManager.default.fileExists(atPath: mistyped + "/noroshi.sqlite"))
        }
        let created = try setup.tool.run([
            "token", "create", "--role", "admin", "--name", "HQ admin", "--data-dir", mistyped, "--init",
        ])
        #expect(created.status == 0, "\(created.errors)")
        #expect(FileManager.default.fileExists(atPath: mistyped + "/noroshi.sqlite"))
        let bad = try setup.tool.run([
            "token", "create", "--role", "hq", "--name", "x", "--expires", "soon", "--data-dir", mistyped,
        ])
        #expect(bad.status != 0 && bad.errors.contains("--expires takes 30d, 12h, 2w or a date"), "\(bad.errors)")
    }

    @Test func listShowsExpiryAndLastUseIn80Columns() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let daemon = try setup.tool.startDaemon(dataDirectory: setup.dataDirectory)
        defer { daemon.stop() }
        let made = try setup.tool.run([
            "token", "create", "--role", "field", "--name", "Landslide patrol 3 (visiting)", "--expires", "30d",
            "--data-dir", setup.dataDirectory, "--json",
        ])
        #expect(made.status == 0, "\(made.errors)")
        let object = try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any]
        let secret = try #require(object?["secret"] as? String)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let expires = try #require((object?["expires_at"] as? String).flatMap { iso.date(from: $0) })
        #expect(abs(expires.timeIntervalSinceNow - 30 * 86_400) < 600)
        _ = try setup.token("hq", name: "HQ")

        let before = try setup.tool.run(["token", "list", "--data-dir", setup.dataDirectory])
        #expect(before.output.contains("LAST USED"), "\(before.output)")
        let patrol = try #require(before.output.split(separator: "\n").first { $0.contains("Landslide patrol 3") })
        #expect(patrol.contains("never") && patrol.contains("until "), "\(patrol)")

        let report = try await daemon.sendReport(token: secret, key: "t1")
        #expect(report.status == 201, "\(report.text)")
        let after = try setup.tool.run(["token", "list", "--data-dir", setup.dataDirectory])
        let used = try #require(after.output.split(separator: "\n").first { $0.contains("Landslide patrol 3") })
        #expect(!used.contains("never"), "\(used)")
        #expect(after.output.split(separator: "\n").allSatisfy { $0.count <= 80 }, "\(after.output)")
    }
}
