import Foundation
import NoroshiCore
import NoroshiServer
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsRunOutOfTheBox() throws {
        let configuration = try NoroshiConfiguration.load(file: nil, environment: [:])
        #expect(configuration.dataDirectory == "./noroshi-data")
        #expect(configuration.port == 8080)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.linking.rule(for: .avianInfluenza).radiusMetres == 3_000)
        #expect(configuration.linking.rule(for: .avianInfluenza).window == 28 * 86_400)
    }

    @Test func photoSettings() throws {
        var configuration = NoroshiConfiguration()
        #expect(configuration.photoLimits.maxBytes == 40 * 1024 * 1024)
        #expect(configuration.photoLimits.maxPixels == 100_000_000)
        try configuration.apply(
            yaml: "photos: {max_bytes: 2097152, max_megapixels: 24, workers: 0}", source: "test.yaml")
        #expect(configuration.photoLimits.maxBytes == 2_097_152)
        #expect(configuration.photoLimits.maxPixels == 24_000_000)
        #expect(configuration.photoWorkers == 0)
        #expect(throws: NoroshiError.self) {
            try configuration.apply(yaml: "photos: {max_size: 10}", source: "test.yaml")
        }
    }

    @Test func photoOffsetAndUploadSettings() throws {
        var configuration = NoroshiConfiguration()
        #expect(configuration.photoUTCOffset == 9 * 3600)
        #expect(configuration.uploadLifetime == 24 * 3600 && configuration.maxOpenUploads == 100)
        // Unquoted, YAML 1.1 reads +09:00 as the base-60 number 540 (minutes); quoted, it is text.
        for text in ["photos: {utc_offset: +05:30}", "photos: {utc_offset: '+05:30'}", "photos: {utc_offset: '+0530'}"]
        {
            var each = NoroshiConfiguration()
            try each.apply(yaml: text, source: "test.yaml")
            #expect(each.photoUTCOffset == 5 * 3600 + 1800, "\(text)")
        }
        try configuration.apply(yaml: "photos: {utc_offset: '-03:00'}", source: "test.yaml")
        #expect(configuration.photoUTCOffset == -3 * 3600)
        for bad in ["photos: {utc_offset: JST}", "photos: {utc_offset: '+15:00'}", "photos: {utc_offset: '+09:61'}"] {
            #expect(throws: NoroshiError.self, "\(bad)") { try configuration.apply(yaml: bad, source: "test.yaml") }
        }
        try configuration.apply(yaml: "uploads: {expire_hours: 2.5, max_open: 7}", source: "test.yaml")
        #expect(configuration.uploadLifetime == 9000 && configuration.maxOpenUploads == 7)
        #expect(throws: NoroshiError.self) { try configuration.apply(yaml: "uploads: {expire: 1}", source: "t.yaml") }
    }

    @Test func fileThenEnvironment() throws {
        var configuration = NoroshiConfiguration()
        try configuration.apply(
            yaml: """
                data_dir: /var/lib/noroshi
                http: {port: 9000, max_body_bytes: 65536}
                reports: {max_text_length: 500}
                linking:
                  fire: {radius_km: 0.5}
                  flood: {window_hours: 24}
                """,
            source: "test.yaml")
        try configuration.apply(environment: ["NOROSHI_PORT": "9100", "NOROSHI_LOG_LEVEL": "debug"])
        #expect(configuration.dataDirectory == "/var/lib/noroshi")
        #expect(configuration.port == 9100)
        #expect(configuration.maxBodyBytes == 65536)
        #expect(configuration.limits.maxTextLength == 500)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.linking.rule(for: .fire).radiusMetres == 500)
        #expect(configuration.linking.rule(for: .fire).window == 12 * 3600)
        #expect(configuration.linking.rule(for: .flood).window == 24 * 3600)
    }

    @Test(arguments: [
        // Every problem is named with the file, line and column it is at.
        ("http: {prot: 80}", "test.yaml:1:8: unknown key 'http.prot'"),
        ("linking: {volcano: {radius_km: 1}}", "test.yaml:1:11: unknown key 'linking.volcano'"),
        ("http: {port: 70000}", "test.yaml:1:14: 'http.port' must be a whole number from 0 to 65535"),
        ("log_level: loud", "test.yaml:1:12: Unknown log level 'loud'"),
        ("http: [1, 2]", "test.yaml:1:7: http must be a mapping"),
        ("data_dir: [unclosed", "test.yaml:2:1: not valid YAML"),
        (
            "chat:\n  rooms:\n    duty: {type: slack, url_env: X}\n    bad: {type: irc}\n",
            // Every problem, in the order of the file, not only the first.
            "test.yaml:3:34: room 'duty': the environment variable X is not set.\n"
                + "test.yaml:4:17: room 'bad' has type 'irc'; use matrix, slack, teams or webhook"
        ),
    ])
    func refusesBadFiles(yaml: String, message: String) {
        var configuration = NoroshiConfiguration()
        do {
            try configuration.apply(yaml: yaml, source: "test.yaml")
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func sampleConfigurationLoads() throws {
        let sample = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/noroshi.yaml")
        let configuration = try NoroshiConfiguration.load(file: sample.path, environment: [:])
        #expect(configuration.linking == LinkingPolicy())
    }

    @Test func badEnvironmentIsRefused() {
        var configuration = NoroshiConfiguration()
        #expect(throws: NoroshiError.self) { try configuration.apply(environment: ["NOROSHI_PORT": "eighty"]) }
    }
}

/// The README's configuration table and the keys the reader accepts, kept in step: a key added to one and not the
/// other fails here.
@Suite struct ConfigurationTableTests {
    @Test func theREADMEsTableListsExactlyTheKeysTheReaderAccepts() throws {
        let readme = try String(contentsOf: CAPTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section =
            try #require(readme.components(separatedBy: "\n## Configuration\n").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        var documented = Set<String>()
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            for key in cell.split(separator: ",") {
                let name = key.trimmingCharacters(in: CharacterSet(charactersIn: " `"))
                documented.insert(name == "chat.rooms.<name>" ? "chat.rooms" : name)
            }
        }
        let accepted = NoroshiConfiguration.acceptedKeys()
        #expect(accepted.count > 40)
        #expect(
            documented.subtracting(accepted).isEmpty, "in the README only: \(documented.subtracting(accepted).sorted())"
        )
        #expect(
            accepted.subtracting(documented).isEmpty, "not in the README: \(accepted.subtracting(documented).sorted())")
    }
}
