import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiServer
import NoroshiTesting
import Testing

/// The `chat` section: rooms with secrets from the environment or files, routes, timing.
@Suite struct ChatConfigurationTests {
    static let environment = [
        "NOROSHI_MATRIX_PASSWORD": "matrix-pass\n", "NOROSHI_SLACK_URL": "https://hooks.slack.example/T/B/x",
    ]

    @Test func roomsRoutesAndSecrets() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let secretFile = directory.url.appendingPathComponent("webhook-secret").path
        try "s3cret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        var configuration = NoroshiConfiguration()
        try configuration.apply(
            yaml: """
                chat:
                  board_url: https://noroshi.example.lg.jp
                  utc_offset: "+09:00"
                  gather_seconds: 3
                  max_attempts: 4
                  retry_base_seconds: 0.5
                  http: {timeout_seconds: 10, proxy: "http://proxy.example.lg.jp:8080", verify_tls: true}
                  rooms:
                    hq:
                      type: matrix
                      homeserver: https://matrix.example.lg.jp
                      room: "!abc:example.lg.jp"
                      user: noroshi
                      password_env: NOROSHI_MATRIX_PASSWORD
                    fire-slack: {type: slack, url_env: NOROSHI_SLACK_URL, language: en, messages_per_second: 0.5}
                    logo: {type: webhook, url: "https://logo.example.lg.jp/hook", secret_file: \(secretFile)}
                  routes:
                    - rooms: [hq]
                    - rooms: [fire-slack]
                      kinds: [fire]
                      min_severity: 3
                      exercise: false
                      area: {latitude: 36.1461, longitude: 137.2522, radius_km: 20}
                    - rooms: logo
                      area: {min_latitude: 35.9, max_latitude: 36.5, min_longitude: 136.8, max_longitude: 137.7}
                """, source: "test.yaml", environment: Self.environment)
        let chat = configuration.chat
        #expect(chat.boardURL == "https://noroshi.example.lg.jp" && chat.utcOffset == 9 * 3600)
        #expect(chat.outbox.gather == 3 && chat.outbox.maxAttempts == 4 && chat.retryBase == .milliseconds(500))
        #expect(chat.http.timeout == .seconds(10) && chat.http.proxy == "http://proxy.example.lg.jp:8080")
        #expect(chat.rooms.map(\.name) == ["fire-slack", "hq", "logo"])
        let hq = try chat.room(named: "hq")
        guard case .matrix(_, let room, .password(let user, let password), let device) = hq.connector else {
            Issue.record("hq should be a Matrix room with a password")
            return
        }
        #expect(room == "!abc:example.lg.jp" && user == "noroshi" && device == "NOROSHI")
        #expect(password.value == "matrix-pass")
        // A secret never shows its value, only where it came from.
        #expect("\(password)" == "<secret from $NOROSHI_MATRIX_PASSWORD>")
        #expect(!"\(hq.connector)".contains("matrix-pass"))
        let slack = try chat.room(named: "fire-slack")
        #expect(slack.language == .english && slack.interval == .seconds(2))
        guard case .webhook(_, let secret, true) = try chat.room(named: "logo").connector else {
            Issue.record("logo should be a signed webhook sending images")
            return
        }
        #expect(secret.value == "s3cret" && secret.origin == "file \(secretFile)")
        let routes = try #require(chat.routes)
        #expect(routes.count == 3 && routes[2].rooms == ["logo"])
        #expect(routes[1].kinds == [.fire] && routes[1].minSeverity == 3 && routes[1].exercise == false)
        #expect(routes[1].area == .circle(centre: try GeoPoint(latitude: 36.1461, longitude: 137.2522), metres: 20_000))
    }

    @Test func sokuhoRemindersNameConfiguredRooms() throws {
        var configuration = NoroshiConfiguration()
        #expect(configuration.chat.sokuhoReminder == .init(minutes: 20, rooms: []))
        let rooms = "chat: {rooms: {duty: {type: slack, url_env: NOROSHI_SLACK_URL}}}\n"
        try configuration.apply(
            yaml: rooms + "sokuho: {reminder_minutes: 15, reminder_rooms: [duty]}", source: "test.yaml",
            environment: Self.environment)
        #expect(configuration.chat.sokuhoReminder == .init(minutes: 15, rooms: ["duty"]))
        for (yaml, message) in [
            ("sokuho: {reminder_rooms: [nobody]}", "names 'nobody', which is not a room under chat.rooms (duty)"),
            ("sokuho: {reminder_rooms: duty}", "'sokuho.reminder_rooms' must be a list"),
            ("sokuho: {reminder_minutes: 0}", "must be a number from 0.05 to 1440"),
            ("sokuho: {remind: 5}", "unknown key 'sokuho.remind'"),
        ] {
            var other = NoroshiConfiguration()
            #expect(throws: NoroshiError.self) {
                try other.apply(yaml: rooms + yaml, source: "test.yaml", environment: Self.environment)
            }
            do {
                try other.apply(yaml: rooms + yaml, source: "test.yaml", environment: Self.environment)
            } catch { #expect(error.message.contains(message), "\(error.message)") }
        }
    }

    @Test func auditCheckpointsAndWitnessRoomsAreRead() throws {
        var configuration = NoroshiConfiguration()
        #expect(configuration.auditCheckpointInterval == .seconds(600) && configuration.auditWitnessRooms.isEmpty)
        let rooms = "chat: {rooms: {duty: {type: slack, url_env: NOROSHI_SLACK_URL}}}\n"
        try configuration.apply(
            yaml: rooms + "audit: {checkpoint_minutes: 2.5, witness_rooms: [duty]}", source: "test.yaml",
            environment: Self.environment)
        #expect(configuration.auditCheckpointInterval == .seconds(150) && configuration.auditWitnessRooms == ["duty"])
        for (yaml, message) in [
            (
                "audit: {witness_rooms: [nobody]}",
                "test.yaml:2:25: 'audit.witness_rooms' names 'nobody', which is not"
            ),
            ("audit: {checkpoint_minutes: 0}", "must be a number from 0.01 to 1440"),
            ("audit: {witness: [duty]}", "unknown key 'audit.witness'"),
        ] {
            var other = NoroshiConfiguration()
            do {
                try other.apply(yaml: rooms + yaml, source: "test.yaml", environment: Self.environment)
                Issue.record("\(yaml) was accepted")
            } catch { #expect(error.message.contains(message), "\(error.message)") }
        }
    }

    @Test func withoutRoutesEveryRoomTakesEverything() throws {
        var configuration = NoroshiConfiguration()
        try configuration.apply(
            yaml:
                "chat: {rooms: {a: {type: slack, url_env: NOROSHI_SLACK_URL}, b: {type: teams, url_env: NOROSHI_SLACK_URL}}}",
            source: "test.yaml", environment: Self.environment)
        #expect(configuration.chat.routes == nil)
        #expect(configuration.chat.effectiveRoutes == [ChatRoute(rooms: ["a", "b"])])
        #expect(NoroshiConfiguration().chat.effectiveRoutes.isEmpty)
    }

    @Test(arguments: [
        (
            "chat: {rooms: {hq: {type: slack, url: 'https://hooks.slack.example/x'}}}",
            "unknown key 'chat.rooms.hq.url'"
        ),
        ("chat: {rooms: {hq: {type: slack}}}", "needs url_env (an environment variable) or url_file (a file)"),
        ("chat: {rooms: {hq: {type: slack, url_env: NOT_SET}}}", "the environment variable NOT_SET is not set"),
        (
            "chat: {rooms: {hq: {type: slack, url_file: /nonexistent/secret}}}",
            "cannot read the file '/nonexistent/secret'"
        ),
        ("chat: {rooms: {hq: {type: irc}}}", "has type 'irc'; use matrix, slack, teams or webhook"),
        (
            "chat: {rooms: {hq: {type: matrix, homeserver: 'https://m', room: '!r', password_env: NOROSHI_SLACK_URL}}}",
            "'chat.rooms.hq.user' is missing"
        ),
        ("chat: {rooms: {'bad name': {type: slack}}}", "must be letters, digits"),
        ("chat: {routes: [{rooms: [nowhere]}]}", "names room 'nowhere', which is not configured"),
        (
            "chat: {rooms: {a: {type: slack, url_env: NOROSHI_SLACK_URL}}, routes: [{rooms: [a], kinds: [volcano]}]}",
            "unknown kind 'volcano'"
        ),
        (
            "chat: {rooms: {a: {type: slack, url_env: NOROSHI_SLACK_URL}}, routes: [{rooms: [a], min_severity: 9}]}",
            "must be a whole number from 1 to 5"
        ),
        (
            "chat: {rooms: {a: {type: slack, url_env: NOROSHI_SLACK_URL}}, routes: [{rooms: [a], area: {min_latitude: 36, max_latitude: 35, min_longitude: 1, max_longitude: 2}}]}",
            "min_latitude ≤ max_latitude"
        ),
        (
            "chat: {utc_offset: 'JST'}",
            "test.yaml:1:20: 'chat.utc_offset' must be an offset from UTC such as +09:00"
        ),
        ("chat: {board_url: 'noroshi.example'}", "must be an http(s) URL"),
    ])
    func refusesBadChatSettings(yaml: String, message: String) {
        var configuration = NoroshiConfiguration()
        do {
            try configuration.apply(yaml: yaml, source: "test.yaml", environment: Self.environment)
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
            #expect(!error.message.contains("hooks.slack.example/T/B/x"))
        }
    }
}
