import Foundation
import NoroshiHTTPClient
import NoroshiTesting
import Testing

/// A Slack or Teams incoming webhook's URL is the secret itself. Regression (issue 17, item 2): a connection
/// failure put the whole URL in the log, in `outbox.last_error`, in `GET /v1/outbox`, in `noroshi outbox
/// --failed` and in `noroshi rooms test`.
@Suite struct SecretRedactionTests {
    @Test func aWebhookThatCannotBeReachedOrRefusesNeverShowsItsURLAnywhere() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        // Slack: nothing listens on port 9. Teams: a server that refuses and repeats the URL it was sent to.
        let slackSecret = "slackSecretPath4b1d"
        let slackURL = "http://127.0.0.1:9/services/T0NOROSHI/B0HQ/\(slackSecret)"
        let teamsSecret = "teamsSecretPath9f3c"
        let teams = try WebhookReceiver()
        let teamsURL = teams.url("/workflows/\(teamsSecret)/triggers/manual/paths/invoke?sig=\(teamsSecret)")
        teams.otherwise(.respond(status: 400, body: Data("No workflow answers at \(teamsURL)".utf8)))
        let config = setup.root.url.appendingPathComponent("noroshi.yaml").path
        try """
        chat:
          gather_seconds: 0
          max_attempts: 2
          retry_base_seconds: 0.05
          retry_max_seconds: 0.1
          rooms:
            hq-slack: {type: slack, url_env: SLACK_URL, language: en}
            hq-teams: {type: teams, url_env: TEAMS_URL, language: en}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let secrets = ["SLACK_URL": slackURL, "TEAMS_URL": teamsURL]
        let log = setup.root.url.appendingPathComponent("daemon.log").path
        let daemon = try setup.tool.startDaemon(
            dataDirectory: setup.dataDirectory, config: config, environment: secrets, logFile: log)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Hida FD station 2")
        let hq = try setup.token("hq", name: "HQ")

        let client = HTTPClient(configuration: .init(timeout: .seconds(30)))
        let report = try await daemon.sendReport(token: field, key: "barn-1")
        #expect(report.status == 201, "\(report.text)")

        // Both rooms' messages become dead letters: Teams at once (400), Slack after its two attempts.
        var outbox = HTTPResponse(status: 0, headers: [], body: Data())
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            outbox = try await client.send(
                HTTPRequest(
                    method: "GET", url: daemon.url + "/v1/outbox?state=failed",
                    headers: [("Authorization", "Bearer \(hq)")]))
            if outbox.status == 200, outbox.text.contains("hq-slack"), outbox.text.contains("hq-teams") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(outbox.status == 200 && outbox.text.contains("hq-slack") && outbox.text.contains("hq-teams"))

        let asHQ = ["NOROSHI_SERVER": daemon.url, "NOROSHI_TOKEN": hq]
        let failed = try setup.tool.run(["outbox", "--failed"], environment: asHQ)
        let failedJSON = try setup.tool.run(["outbox", "--failed", "--json"], environment: asHQ)
        let slackTest = try setup.tool.run(["rooms", "test", "hq-slack", "--config", config], environment: secrets)
        let teamsTest = try setup.tool.run(["rooms", "test", "hq-teams", "--config", config], environment: secrets)
        #expect(slackTest.status == 1 && teamsTest.status == 1)
        #expect(daemon.stop() == 0)
        let logText = try String(contentsOfFile: log, encoding: .utf8)

        // Every place the reason shows says what failed and where, by scheme and host only.
        let shown: [(String, String)] = [
            ("the daemon's log", logText), ("GET /v1/outbox", outbox.text),
            ("noroshi outbox --failed", failed.output + failed.errors),
            ("noroshi outbox --failed --json", failedJSON.output + failedJSON.errors),
            ("noroshi rooms test hq-slack", slackTest.output + slackTest.errors),
            ("noroshi rooms test hq-teams", teamsTest.output + teamsTest.errors),
        ]
        for (place, text) in shown {
            #expect(!text.contains(slackSecret) && !text.contains(teamsSecret), "\(place) shows a secret: \(text)")
            #expect(!text.contains("/services/T0NOROSHI") && !text.contains("/workflows/"), "\(place): \(text)")
        }
        #expect(logText.contains("http://127.0.0.1:9/…"), "\(logText)")
        #expect(failed.output.contains("http://127.0.0.1:9/…"), "\(failed.output)")
        #expect(
            failed.output.contains("Teams answered 400: No workflow answers at \(teams.url("/…"))"), "\(failed.output)")
        #expect(
            slackTest.errors.contains("Couldn't connect to server") || slackTest.errors.contains("Connection refused"))
        #expect(teamsTest.errors.contains("Teams answered 400"), "\(teamsTest.errors)")

        // Nor is either secret anywhere in the data directory (the database, its WAL, the photo folders).
        let files = FileManager.default.enumerator(atPath: setup.dataDirectory)?.compactMap { $0 as? String } ?? []
        #expect(!files.isEmpty)
        for file in files {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: setup.dataDirectory + "/" + file))) ?? Data()
            #expect(bytes.range(of: Data(slackSecret.utf8)) == nil, "\(file) holds the Slack URL")
            #expect(bytes.range(of: Data(teamsSecret.utf8)) == nil, "\(file) holds the Teams URL")
        }
    }
}
