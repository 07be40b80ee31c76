import Foundation
import NoroshiHTTPClient
import NoroshiTesting
import Testing

/// What whoever runs Noroshi reads: the systemd unit and JSON logs (issue 17, item 9).
@Suite struct OperationsTests {
    /// `systemd-analyze verify` reads the shipped unit as systemd would: it prints nothing for a unit whose
    /// every key it knows and whose every value it accepts (a misspelt key or a bad value is one line each).
    @Test func theSystemdUnitVerifiesAndKeepsItsHardening() throws {
        let root = try TemporaryDirectory(prefix: "noroshi-unit")
        defer { root.remove() }
        let shipped = FixtureFiles.root.deletingLastPathComponent().appendingPathComponent("scripts/noroshi.service")
        let unit = try String(contentsOf: shipped, encoding: .utf8)
        for line in [
            "User=noroshi", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/noroshi",
            "ExecStart=/usr/local/bin/noroshi serve", "UMask=0077",
        ] {
            #expect(unit.split(separator: "\n").contains { $0.hasPrefix(line) }, "the unit lacks \(line)")
        }
        // verify wants ExecStart's program to exist: the built one stands in for /usr/local/bin/noroshi.
        let copy = root.url.appendingPathComponent("noroshi.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/noroshi", with: CommandLineTool.builtExecutable.path)
            .write(to: copy, atomically: true, encoding: .utf8)
        // systemd warns about a unit that others may write: the copy is 0644, as `install -m 0644` makes it.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy.path)
        let log = root.url.appendingPathComponent("verify.log").path
        let status = try ChildProcess.run(
            "/bin/sh",
            ["-c", "cd \"$0\" && exec /usr/bin/systemd-analyze verify --man=no \"$1\" 2>&1", root.path, copy.path],
            output: log)
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(status == 0)
        #expect(said.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(said)")
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let setup = try CLITests.Setup()
        defer { setup.root.remove() }
        let log = setup.root.url.appendingPathComponent("daemon.log").path
        let daemon = try setup.tool.startDaemon(
            dataDirectory: setup.dataDirectory,
            environment: ["NOROSHI_LOG_FORMAT": "json", "NOROSHI_LOG_LEVEL": "info"],
            logFile: log)
        defer { daemon.stop() }
        let field = try setup.token("field", name: "Crew")
        let sent = try await daemon.sendReport(token: field, key: "j1")
        #expect(sent.status == 201)
        #expect(daemon.stop() == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 2)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { objects.append(object) }
        }
        #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String && $0["message"] is String })
        let received = objects.first { $0["message"] as? String == "Report received" }
        #expect(received?["report.id"] as? String == "1", "\(lines)")
        #expect(received?["incident.number"] as? String == "F-2026-0001")
    }
}
