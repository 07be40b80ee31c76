import Crypto
import Foundation
import Logging
import NoroshiChat
import NoroshiCore
import NoroshiPhotos
import NoroshiYAML
import Yams

/// Everything the daemon can be told, with defaults that run out of the box.
///
/// Loaded once at start: defaults, then the YAML file, then environment variables, then flags.
///
/// | YAML key | environment | default |
/// |---|---|---|
/// | `data_dir` | `NOROSHI_DATA_DIR` | `./noroshi-data` |
/// | `http.host` | `NOROSHI_HOST` | `127.0.0.1` |
/// | `http.port` | `NOROSHI_PORT` | `8080` |
/// | `http.max_body_bytes` | `NOROSHI_MAX_BODY_BYTES` | `1048576` |
/// | `http.header_timeout_seconds` | | `30`: from a request's first byte to the end of its headers |
/// | `http.idle_timeout_seconds` | | `75`: a kept-alive connection with no request is closed |
/// | `http.body_timeout_seconds` | | `60`: the longest pause in a request's body |
/// | `http.max_connections_per_address` | | `512`: open connections one IP address may hold |
/// | `http.sign_in_failures_per_minute` | | `20`: failed authentications per address before 429 |
/// | `http.tls.certificate_file`, `http.tls.key_file` | | none (plain HTTP); both PEM: serve HTTPS, `Secure` cookies and HSTS |
/// | `log_level` | `NOROSHI_LOG_LEVEL` | `info` |
/// | `log_format` | `NOROSHI_LOG_FORMAT` | `text`; `json`: one JSON object per line (``JSONLogHandler``) |
/// | | `NOROSHI_BENCHMARK_ROUTES` | unset; `1` serves `POST /v1/noop` for `noroshi-bench http` only |
/// | `reports.max_text_length` | | `4000` |
/// | `reports.max_field_length` | | `200` |
/// | `reports.max_future_skew_seconds` | | `600` |
/// | `linking.<kind>.radius_km`, `linking.<kind>.window_hours` | | DESIGN.md's values |
/// | `photos.max_bytes` | | `41943040` (40 MB) |
/// | `photos.max_megapixels` | | `100` |
/// | `photos.workers` | | the number of cores (at most one job per core; 0 pauses the copies) |
/// | `photos.utc_offset` | | `+09:00`: the offset of an EXIF time recorded without one |
/// | `photos.disk_full_retry_seconds` | | `30`: a copy job that met a full disk runs again after this |
/// | `uploads.expire_hours` | | `24`: an unfinished resumable upload is forgotten this long after its last byte |
/// | `uploads.max_open` | | `100`: unfinished resumable uploads one token may hold |
/// | `board.session_idle_hours` | | `12`: a board session unused this long ends |
/// | `board.secure_cookies` | | `false`: set `true` behind an HTTPS proxy so cookies are `Secure` and HSTS is sent |
/// | `chat.…` | | no rooms; the keys are listed in `NoroshiConfiguration+Chat.swift` and the README |
/// | `cap.sender`, `cap.sender_name` | | `noroshi@<host name>`, `Noroshi` |
/// | `cap.scope`, `cap.restriction`, `cap.addresses` | | `Public` |
/// | `sokuho.reminder_minutes` | | `20`: minutes after 覚知 without a 第1報 before the reminder |
/// | `sokuho.reminder_rooms` | | none: the rooms (of `chat.rooms`) that get the reminder |
/// | `audit.checkpoint_minutes` | | `10`: how often the audit log's head is signed (and at shutdown) |
/// | `audit.witness_rooms` | | none: the rooms (of `chat.rooms`) that get each signed head |
public struct NoroshiConfiguration: Sendable {
    public var dataDirectory: String = "./noroshi-data"
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// The largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int = 1 << 20
    /// Timeouts for slow and idle clients, and the connections one address may hold (`http.*`).
    public var connectionLimits = ConnectionLimits()
    /// Failed authentications one address may make in a minute; then its sign-ins get 429 for a while.
    public var signInFailuresPerMinute = 20
    /// HTTPS: the certificate chain and its private key, PEM files (`http.tls.*`); nil serves plain HTTP.
    public var tls: (certificateFile: String, keyFile: String)?
    /// `POST /v1/noop` for `noroshi-bench http` only (`NOROSHI_BENCHMARK_ROUTES=1`).
    public var benchmarkRoutes = false
    public var logLevel: Logger.Level = .info
    /// How log lines look: `text` for people, `json` for log collectors.
    public var logFormat: LogFormat = .text
    public var limits = ReportLimits()
    public var linking = LinkingPolicy()
    public var photoLimits = PhotoLimits()
    public var photoWorkers = ProcessInfo.processInfo.activeProcessorCount
    /// Seconds east of UTC of an EXIF time recorded without an offset (`photos.utc_offset`): Japan's.
    public var photoUTCOffset = 9 * 3600
    /// How long a copy job that met a full disk waits before it runs again (`photos.disk_full_retry_seconds`).
    public var photoDiskFullRetry: Duration = .seconds(30)
    /// How long an unfinished resumable upload is kept after its last byte arrived.
    public var uploadLifetime: TimeInterval = 24 * 3600
    /// Unfinished resumable uploads one token may hold.
    public var maxOpenUploads = 100
    /// Rooms, routes and the outbox's timing; see `NoroshiConfiguration+Chat.swift` for the keys.
    public var chat = ChatConfiguration()
    /// A board session ends when unused for this long.
    public var sessionIdleLimit: Duration = .seconds(12 * 3600)
    /// Whether the board's cookies are `Secure` (and HSTS is sent): true when users reach it over HTTPS.
    public var secureCookies = false
    /// The CAP alerts' sender and scope (`cap.*`).
    public var cap = CAPSettings()
    /// How often the audit log's head is signed (`audit.checkpoint_minutes`); also at every shutdown.
    public var auditCheckpointInterval: Duration = .seconds(600)
    /// Rooms (of `chat.rooms`) that get each signed head as a message (`audit.witness_rooms`).
    public var auditWitnessRooms: [String] = []
    /// The file the configuration came from and the SHA-256 of its bytes, which the audit log records at start.
    public var source: (path: String, sha256: String)?

    public init() {}

    /// Whether browsers reach the board over HTTPS (served here, or by a proxy in front): cookies are `Secure`
    /// and answers carry HSTS.
    public var overHTTPS: Bool { secureCookies || tls != nil }

    /// The data directory as a URL.
    public var dataDirectoryURL: URL { URL(fileURLWithPath: dataDirectory, isDirectory: true) }

    /// Defaults, then `file` (if any), then the `NOROSHI_*` variables in `environment`.
    public static func load(file: String?, environment: [String: String]) throws(NoroshiError) -> NoroshiConfiguration {
        var configuration = NoroshiConfiguration()
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw NoroshiError(.invalidInput, "Cannot read the configuration file '\(file)'.", cause: error)
            }
            try configuration.apply(yaml: text, source: file, environment: environment)
            configuration.source = (file, SHA256.hash(data: Data(text.utf8)).hexEncoded)
        }
        try configuration.apply(environment: environment)
        return configuration
    }

    /// Applies the settings in a YAML document; unknown keys are errors, so that typos do not pass silently.
    /// Secrets that the document names (`password_env`, `url_file`, …) are read from `environment` and files.
    public mutating func apply(
        yaml text: String, source: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(NoroshiError) {
        try apply(yaml: text, source: source, environment: environment, recorder: nil)
    }

    /// Every key the reader accepts, as the README's configuration table writes them (`linking.<kind>.radius_km`,
    /// `chat.rooms`, whose own keys the table lists in one cell): read off the reader itself, by applying a
    /// document with every section, so that a test can hold the table and the reader in step.
    public static func acceptedKeys() -> Set<String> {
        let recorder = ConfigurationReader.KeyRecorder()
        var configuration = NoroshiConfiguration()
        let sections = """
            http: {tls: {certificate_file: a, key_file: b}}
            reports: {}
            photos: {}
            uploads: {}
            board: {}
            chat: {http: {}}
            cap: {}
            sokuho: {}
            audit: {}
            linking: {fire: {}}
            """
        try? configuration.apply(yaml: sections, source: "keys", environment: [:], recorder: recorder)
        let kinds = Set(IncidentKind.allCases.map { "linking.\($0.rawValue)" })
        let keys = Set(
            recorder.keys.map { key in
                key.hasPrefix("linking.fire.") ? "linking.<kind>." + key.dropFirst("linking.fire.".count) : key
            })
        // Sections (a key that others extend) are not settings of their own.
        return keys.filter { key in !kinds.contains(key) && !keys.contains { $0.hasPrefix(key + ".") } }
    }

    mutating func apply(
        yaml text: String, source: String, environment: [String: String], recorder: ConfigurationReader.KeyRecorder?
    ) throws(NoroshiError) {
        let root: Node?
        switch YAMLText.compose(text) {
        case .success(let node): root = node
        case .failure(let problem): throw NoroshiError(.invalidInput, YAMLText.format(problem, file: source))
        }
        guard let root else { return }
        var reader = ConfigurationReader(source: source, recorder: recorder)
        read(root, with: &reader, environment: environment)
        if let error = reader.error { throw error }
    }

    /// Reads every section, collecting each problem with its position; values that are wrong are left as they were.
    private mutating func read(_ root: Node, with reader: inout ConfigurationReader, environment: [String: String]) {
        let sections: Set<String> = [
            "data_dir", "http", "log_level", "log_format", "reports", "linking", "photos", "uploads", "chat", "board",
            "sokuho", "cap", "audit",
        ]
        guard let map = reader.mapping(root, "the configuration file", allowed: sections) else { return }
        if let value = reader.string(map["data_dir"], "data_dir") { dataDirectory = value }
        if let value = reader.string(map["log_level"], "log_level") {
            do { logLevel = try Self.parseLogLevel(value) } catch { reader.problem(map["log_level"], error.message) }
        }
        if let value = reader.string(map["log_format"], "log_format") {
            do { logFormat = try LogFormat.parse(value) } catch { reader.problem(map["log_format"], error.message) }
        }
        readHTTP(map["http"], with: &reader)
        if let reports = reader.section(
            map["reports"], "reports", ["max_text_length", "max_field_length", "max_future_skew_seconds"])
        {
            if let value = reader.integer(reports["max_text_length"], "reports.max_text_length", range: 1...1_000_000) {
                limits.maxTextLength = value
            }
            if let value = reader.integer(reports["max_field_length"], "reports.max_field_length", range: 1...10_000) {
                limits.maxFieldLength = value
            }
            if let value = reader.integer(
                reports["max_future_skew_seconds"], "reports.max_future_skew_seconds", range: 0...86_400)
            {
                limits.maxFutureSkew = TimeInterval(value)
            }
        }
        if let photos = reader.section(
            map["photos"], "photos",
            ["max_bytes", "max_megapixels", "workers", "utc_offset", "disk_full_retry_seconds"])
        {
            if let value = reader.integer(photos["max_bytes"], "photos.max_bytes", range: 1024...(1 << 30)) {
                photoLimits.maxBytes = value
            }
            if let value = reader.integer(photos["max_megapixels"], "photos.max_megapixels", range: 1...500) {
                photoLimits.maxPixels = value * 1_000_000
            }
            if let value = reader.integer(photos["workers"], "photos.workers", range: 0...256) { photoWorkers = value }
            if let node = photos["utc_offset"], let value = reader.utcOffset(node, "photos.utc_offset") {
                photoUTCOffset = value
            }
            if let value = reader.number(
                photos["disk_full_retry_seconds"], "photos.disk_full_retry_seconds", range: 0.1...86_400)
            {
                photoDiskFullRetry = .milliseconds(Int64(value * 1000))
            }
        }
        if let uploads = reader.section(map["uploads"], "uploads", ["expire_hours", "max_open"]) {
            if let hours = reader.number(uploads["expire_hours"], "uploads.expire_hours", range: 0.01...(24 * 30)) {
                uploadLifetime = hours * 3600
            }
            if let value = reader.integer(uploads["max_open"], "uploads.max_open", range: 1...100_000) {
                maxOpenUploads = value
            }
        }
        if let board = reader.section(map["board"], "board", ["session_idle_hours", "secure_cookies"]) {
            if let hours = reader.number(board["session_idle_hours"], "board.session_idle_hours", range: 0.01...720) {
                sessionIdleLimit = .seconds(hours * 3600)
            }
            if let value = reader.bool(board["secure_cookies"], "board.secure_cookies") { secureCookies = value }
        }
        if let node = map["chat"], let chat = reader.chat(node, environment: environment) { self.chat = chat }
        readCAP(map["cap"], with: &reader)
        let rooms = Set(chat.rooms.map(\.name))
        if let sokuho = reader.section(map["sokuho"], "sokuho", ["reminder_minutes", "reminder_rooms"]) {
            if let minutes = reader.number(sokuho["reminder_minutes"], "sokuho.reminder_minutes", range: 0.05...1440) {
                chat.sokuhoReminder.minutes = minutes
            }
            if let value = sokuho["reminder_rooms"] {
                chat.sokuhoReminder.rooms = reader.roomNames(value, "sokuho.reminder_rooms", known: rooms)
            }
        }
        if let audit = reader.section(map["audit"], "audit", ["checkpoint_minutes", "witness_rooms"]) {
            if let minutes = reader.number(audit["checkpoint_minutes"], "audit.checkpoint_minutes", range: 0.01...1440)
            {
                auditCheckpointInterval = .milliseconds(Int64(minutes * 60_000))
            }
            if let value = audit["witness_rooms"] {
                auditWitnessRooms = reader.roomNames(value, "audit.witness_rooms", known: rooms)
            }
        }
        if let linking = reader.section(map["linking"], "linking", Set(IncidentKind.allCases.map(\.rawValue))) {
            for kind in IncidentKind.allCases {
                let path = "linking.\(kind.rawValue)"
                guard let rule = reader.section(linking[kind.rawValue], path, ["radius_km", "window_hours"]) else {
                    continue
                }
                var current = self.linking.rule(for: kind)
                if let km = reader.number(rule["radius_km"], path + ".radius_km", range: 0.001...1000) {
                    current.radiusMetres = km * 1000
                }
                if let hours = reader.number(rule["window_hours"], path + ".window_hours", range: 0.01...(24 * 365)) {
                    current.window = hours * 3600
                }
                self.linking.rules[kind] = current
            }
        }
    }

    private mutating func readHTTP(_ node: Node?, with reader: inout ConfigurationReader) {
        let keys: Set<String> = [
            "host", "port", "max_body_bytes", "header_timeout_seconds", "idle_timeout_seconds", "body_timeout_seconds",
            "max_connections_per_address", "sign_in_failures_per_minute", "tls",
        ]
        guard let http = reader.section(node, "http", keys) else { return }
        if let tls = reader.section(http["tls"], "http.tls", ["certificate_file", "key_file"]) {
            let certificate = reader.string(
                tls["certificate_file"], "http.tls.certificate_file", required: true, at: http["tls"])
            let key = reader.string(tls["key_file"], "http.tls.key_file", required: true, at: http["tls"])
            if let certificate, let key { self.tls = (certificate, key) }
        }
        for (key, keyPath) in [
            ("header_timeout_seconds", \ConnectionLimits.headerTimeout),
            ("idle_timeout_seconds", \ConnectionLimits.idleTimeout),
            ("body_timeout_seconds", \ConnectionLimits.bodyTimeout),
        ] {
            if let value = reader.number(http[key], "http." + key, range: 0.1...86_400) {
                connectionLimits[keyPath: keyPath] = .milliseconds(Int64(value * 1000))
            }
        }
        if let value = reader.integer(
            http["max_connections_per_address"], "http.max_connections_per_address", range: 1...1_000_000)
        {
            connectionLimits.maxConnectionsPerAddress = value
        }
        if let value = reader.integer(
            http["sign_in_failures_per_minute"], "http.sign_in_failures_per_minute", range: 1...100_000)
        {
            signInFailuresPerMinute = value
        }
        if let value = reader.string(http["host"], "http.host") { host = value }
        if let value = reader.integer(http["port"], "http.port", range: 0...65535) { port = value }
        if let value = reader.integer(http["max_body_bytes"], "http.max_body_bytes", range: 1024...(1 << 30)) {
            maxBodyBytes = value
        }
    }

    private mutating func readCAP(_ node: Node?, with reader: inout ConfigurationReader) {
        guard let section = reader.section(node, "cap", ["sender", "sender_name", "scope", "restriction", "addresses"])
        else { return }
        if let value = reader.string(section["sender"], "cap.sender") {
            if value.contains(where: { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == "&" }) {
                reader.problem(
                    section["sender"],
                    "'cap.sender' must be one word without spaces, commas, < or &, e.g. noroshi@bousai.example.lg.jp")
            } else {
                cap.sender = value
            }
        }
        if let value = reader.string(section["sender_name"], "cap.sender_name") { cap.senderName = value }
        if section["scope"] != nil,
            let scope = reader.enumValue(section["scope"], "cap.scope", CAPSettings.Scope.self, at: node)
        {
            cap.scope = scope
        }
        cap.restriction = reader.string(section["restriction"], "cap.restriction")
        cap.addresses = reader.string(section["addresses"], "cap.addresses")
        if cap.scope == .restricted, cap.restriction == nil {
            reader.problem(node, "with cap.scope Restricted, cap.restriction must be given")
        }
        if cap.scope == .private, cap.addresses == nil {
            reader.problem(node, "with cap.scope Private, cap.addresses must be given")
        }
    }

    /// Applies `NOROSHI_DATA_DIR`, `NOROSHI_HOST`, `NOROSHI_PORT`, `NOROSHI_MAX_BODY_BYTES` and `NOROSHI_LOG_LEVEL`.
    public mutating func apply(environment: [String: String]) throws(NoroshiError) {
        if let value = environment["NOROSHI_DATA_DIR"], !value.isEmpty { dataDirectory = value }
        if let value = environment["NOROSHI_HOST"], !value.isEmpty { host = value }
        if let value = environment["NOROSHI_PORT"], !value.isEmpty {
            port = try environmentInteger(value, "NOROSHI_PORT", range: 0...65535)
        }
        if let value = environment["NOROSHI_MAX_BODY_BYTES"], !value.isEmpty {
            maxBodyBytes = try environmentInteger(value, "NOROSHI_MAX_BODY_BYTES", range: 1024...(1 << 30))
        }
        if let value = environment["NOROSHI_LOG_LEVEL"], !value.isEmpty { logLevel = try Self.parseLogLevel(value) }
        if let value = environment["NOROSHI_LOG_FORMAT"], !value.isEmpty { logFormat = try LogFormat.parse(value) }
        benchmarkRoutes = environment["NOROSHI_BENCHMARK_ROUTES"] == "1"
    }

    /// How log lines are written.
    public enum LogFormat: String, Sendable, CaseIterable {
        case text
        case json

        static func parse(_ name: String) throws(NoroshiError) -> LogFormat {
            guard let format = LogFormat(rawValue: name.lowercased()) else {
                throw NoroshiError(.invalidInput, "Unknown log format '\(name.prefix(40))'; use text or json.")
            }
            return format
        }
    }

    public static func parseLogLevel(_ name: String) throws(NoroshiError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw NoroshiError(.invalidInput, "Unknown log level '\(name)'; use one of \(names).")
        }
        return level
    }
}

/// Reads typed values out of parsed YAML, naming the key and the source in every error.
/// Reads the configuration's YAML nodes through the accessors the playbook reader uses too (``YAMLReading``):
/// every problem is collected with its line and column and reported together, `FILE:LINE:COLUMN: message` each.
struct ConfigurationReader: YAMLReading {
    let source: String
    /// Collects the keys each section allows, for ``NoroshiConfiguration/acceptedKeys()``.
    var recorder: KeyRecorder? = nil
    var problems: [YAMLProblem] = []

    final class KeyRecorder {
        var keys: Set<String> = []
    }

    mutating func allowing(_ keys: Set<String>, prefix: String) {
        recorder?.keys.formUnion(keys.map { prefix + $0 })
    }

    /// Every problem found, a line each in the order of the file, or nil when there was none.
    var error: NoroshiError? {
        guard !problems.isEmpty else { return nil }
        let lines = problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
            .map { YAMLText.format($0, file: source) }
        return NoroshiError(.invalidInput, lines.joined(separator: "\n"))
    }

    /// A section of the file (`http`, `chat.http`): a mapping whose keys must be among `allowed`.
    mutating func section(_ node: Node?, _ path: String, _ allowed: Set<String>) -> Node.Mapping? {
        mapping(node, path, allowed: allowed, prefix: path + ".")
    }

    /// A list of room names, each one of `known` (the rooms under `chat.rooms`).
    mutating func roomNames(_ value: Node, _ key: String, known: Set<String>) -> [String] {
        guard let list = sequence(value, key) else { return [] }
        var names: [String] = []
        for item in list {
            guard let name = string(item, key) else { continue }
            if known.contains(name) {
                names.append(name)
            } else {
                let rooms = known.sorted().joined(separator: ", ")
                problem(
                    item,
                    "'\(key)' names '\(name)', which is not a room under chat.rooms"
                        + (rooms.isEmpty ? "" : " (\(rooms))"))
            }
        }
        return names
    }

    /// An offset from UTC such as `+09:00`, `-0330` or `Z`, in seconds east; a bare number is minutes.
    mutating func utcOffset(_ value: Node, _ key: String) -> Int? {
        if let text = value.scalar?.string {
            if let seconds = UTCOffset.seconds(text) { return seconds }
            if let minutes = Int(text), abs(minutes) <= 14 * 60 { return minutes * 60 }
        }
        problem(value, "'\(key)' must be an offset from UTC such as +09:00")
        return nil
    }
}

/// A whole number from an environment variable, or an error naming the variable.
private func environmentInteger(_ value: String, _ name: String, range: ClosedRange<Int>) throws(NoroshiError) -> Int {
    guard let number = Int(value), range.contains(number) else {
        throw NoroshiError(
            .invalidInput, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
    }
    return number
}
