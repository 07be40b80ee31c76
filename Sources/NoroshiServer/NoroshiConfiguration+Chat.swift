import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiHTTPClient
import NoroshiStorage
import Yams

// The `chat` section of the configuration file:
//
// | key | default | meaning |
// |---|---|---|
// | `chat.board_url` | none | the web board's address; messages link to `<board_url>/incidents/<number>` |
// | `chat.utc_offset` | `+09:00` | the time zone of times in messages |
// | `chat.gather_seconds` | `5` | a message about a new incident or new photos waits this long for more |
// | `chat.photo_wait_seconds` | `30` | the longest a message waits for its photo's chat copy |
// | `chat.max_age_hours` | `24` | a message still failing this long after it was queued is dead-lettered |
// | `chat.max_attempts` | none | also dead-letter after this many failed attempts (429 / Retry-After never count) |
// | `chat.report_update_seconds` | `300` | report-only updates of an incident go to a room at most this often |
// | `chat.retry_base_seconds`, `chat.retry_max_seconds` | `2`, `300` | exponential backoff with jitter |
// | `chat.http.timeout_seconds`, `chat.http.connect_timeout_seconds` | `30`, `10` | per request |
// | `chat.http.proxy` | curl's `https_proxy`/`http_proxy` | e.g. `http://proxy.example.lg.jp:8080` |
// | `chat.http.ca_bundle` | the system's | a PEM file of CA certificates to trust |
// | `chat.http.verify_tls` | `true` | leave on outside tests |
// | `chat.rooms.<name>` | none | a room; see below |
// | `chat.routes` | every room takes everything | a list of routes; see below |
//
// A room: `type` (matrix, slack, teams, webhook), `language` (ja, en; default ja), `messages_per_second`
// (default 1; 0 turns pacing off), and by type:
// - matrix: `homeserver`, `room` (`!id:server` or `#alias:server`), `user` with `password_env` or
//   `password_file`, or `access_token_env` / `access_token_file`; `device_id` (default NOROSHI).
// - slack, teams: `url_env` or `url_file` (the webhook URL is the secret).
// - webhook: `url`, `secret_env` or `secret_file`, `send_image` (default true).
//
// A route: `rooms` (a list), and optionally `kinds` (a list), `min_severity` (1–5), `exercise` (true: drills
// only; false: real incidents only), `area` as `{latitude, longitude, radius_km}` or
// `{min_latitude, max_latitude, min_longitude, max_longitude}`.

extension ConfigurationReader {
    func chat(_ map: Node.Mapping, environment: [String: String]) throws(NoroshiError) -> ChatConfiguration {
        try checkKeys(
            map,
            allowed: [
                "board_url", "utc_offset", "gather_seconds", "photo_wait_seconds", "max_attempts", "max_age_hours",
                "report_update_seconds",
                "retry_base_seconds", "retry_max_seconds", "http", "rooms", "routes",
            ],
            path: "chat.")
        var chat = ChatConfiguration()
        if let url = try string(map["board_url"], "chat.board_url") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw fail(map["board_url"], "Key 'chat.board_url' must be an http(s) URL.")
            }
            chat.boardURL = url
        }
        if let node = map["utc_offset"] { chat.utcOffset = try utcOffset(node, "chat.utc_offset") }
        if let value = try double(map["gather_seconds"], "chat.gather_seconds", range: 0...3600) {
            chat.outbox.gather = value
        }
        if let value = try double(map["photo_wait_seconds"], "chat.photo_wait_seconds", range: 0...3600) {
            chat.outbox.photoWait = value
        }
        if let value = try int(map["max_attempts"], "chat.max_attempts", range: 1...1000) {
            chat.outbox.maxAttempts = value
        }
        if let value = try double(map["max_age_hours"], "chat.max_age_hours", range: 0.01...8760) {
            chat.outbox.maxAge = value * 3600
        }
        if let value = try double(map["report_update_seconds"], "chat.report_update_seconds", range: 0...86_400) {
            chat.outbox.reportUpdateInterval = value
        }
        if let value = try double(map["retry_base_seconds"], "chat.retry_base_seconds", range: 0.01...3600) {
            chat.retryBase = .milliseconds(Int64(value * 1000))
        }
        if let value = try double(map["retry_max_seconds"], "chat.retry_max_seconds", range: 0.01...86_400) {
            chat.retryMax = .milliseconds(Int64(value * 1000))
        }
        if let http = try self.map(map["http"], "chat.http") {
            try checkKeys(
                http, allowed: ["timeout_seconds", "connect_timeout_seconds", "proxy", "ca_bundle", "verify_tls"],
                path: "chat.http.")
            if let value = try double(http["timeout_seconds"], "chat.http.timeout_seconds", range: 0.1...3600) {
                chat.http.timeout = .milliseconds(Int64(value * 1000))
            }
            if let value = try double(
                http["connect_timeout_seconds"], "chat.http.connect_timeout_seconds", range: 0.1...600)
            {
                chat.http.connectTimeout = .milliseconds(Int64(value * 1000))
            }
            chat.http.proxy = try string(http["proxy"], "chat.http.proxy")
            if let path = try string(http["ca_bundle"], "chat.http.ca_bundle") {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw fail(http["ca_bundle"], "The CA bundle '\(path)' cannot be read.")
                }
                chat.http.caBundle = path
            }
            if let value = try bool(http["verify_tls"], "chat.http.verify_tls") { chat.http.verifyTLS = value }
        }
        if let rooms = try self.map(map["rooms"], "chat.rooms") {
            for (name, value) in rooms.sorted(by: { ($0.key.string ?? "") < ($1.key.string ?? "") }) {
                chat.rooms.append(try room(name: name, value, environment: environment))
            }
        }
        if let value = map["routes"] {
            guard let list = value.sequence else { throw fail(value, "Key 'chat.routes' must be a list of routes.") }
            let known = Set(chat.rooms.map(\.name))
            chat.routes = try list.enumerated().map { (index, item) throws(NoroshiError) in
                try route(item, key: "chat.routes[\(index + 1)]", known: known)
            }
        }
        return chat
    }

    func room(name node: Node, _ value: Node?, environment: [String: String]) throws(NoroshiError)
        -> RoomConfiguration
    {
        let name = node.string ?? ""
        let key = "chat.rooms.\(name)"
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", options: .regularExpression) != nil else {
            throw fail(node, "Room name '\(name.prefix(64))' must be letters, digits, '-' and '_' (at most 64).")
        }
        guard let map = try self.map(value, key) else { throw fail(node, "Room '\(name)' needs a `type`.") }
        let common: Set<String> = ["type", "language", "messages_per_second"]
        let what = "Room '\(name)'"
        let connector: ConnectorSettings
        switch try string(map["type"], key + ".type") {
        case "matrix":
            try checkKeys(
                map,
                allowed: common.union([
                    "homeserver", "room", "user", "password_env", "password_file", "access_token_env",
                    "access_token_file", "device_id",
                ]), path: key + ".")
            let homeserver = try required(map, "homeserver", key, at: node)
            let room = try required(map, "room", key, at: node)
            let authentication: MatrixConnector.Authentication
            if let token = try secret(
                map, "access_token", key, what: what, environment: environment, required: false, at: node)
            {
                authentication = .accessToken(token)
            } else {
                let user = try required(map, "user", key, at: node)
                let password = try secret(map, "password", key, what: what, environment: environment, at: node)!
                authentication = .password(user: user, password: password)
            }
            connector = .matrix(
                homeserver: homeserver, room: room, authentication: authentication,
                deviceID: try string(map["device_id"], key + ".device_id") ?? "NOROSHI")
        case "slack":
            try checkKeys(map, allowed: common.union(["url_env", "url_file"]), path: key + ".")
            connector = .slack(url: try secret(map, "url", key, what: what, environment: environment, at: node)!)
        case "teams":
            try checkKeys(map, allowed: common.union(["url_env", "url_file"]), path: key + ".")
            connector = .teams(url: try secret(map, "url", key, what: what, environment: environment, at: node)!)
        case "webhook":
            try checkKeys(
                map, allowed: common.union(["url", "secret_env", "secret_file", "send_image"]), path: key + ".")
            connector = .webhook(
                url: try required(map, "url", key, at: node),
                secret: try secret(map, "secret", key, what: what, environment: environment, at: node)!,
                sendImage: try bool(map["send_image"], key + ".send_image") ?? true)
        case let other:
            throw fail(
                map["type"] ?? node, "Room '\(name)' has type '\(other ?? "")'; use matrix, slack, teams or webhook.")
        }
        var room = RoomConfiguration(name: name, connector: connector)
        if let language = try string(map["language"], key + ".language") {
            guard let value = ChatLanguage(rawValue: language) else {
                throw fail(map["language"], "Key '\(key).language' must be ja or en.")
            }
            room.language = value
        }
        if let rate = try double(map["messages_per_second"], key + ".messages_per_second", range: 0...1000) {
            room.messagesPerSecond = rate
        }
        return room
    }

    func route(_ value: Node, key: String, known: Set<String>) throws(NoroshiError) -> ChatRoute {
        guard let map = value.mapping else { throw fail(value, "Route \(key) must be a mapping with `rooms`.") }
        try checkKeys(map, allowed: ["rooms", "kinds", "min_severity", "exercise", "area"], path: key + ".")
        let rooms = try stringList(map["rooms"], key + ".rooms")
        guard !rooms.isEmpty else { throw fail(value, "Route \(key) names no rooms.") }
        for room in rooms where !known.contains(room) {
            throw fail(map["rooms"], "Route \(key) names room '\(room)', which is not configured.")
        }
        var route = ChatRoute(rooms: rooms)
        for name in try stringList(map["kinds"], key + ".kinds") {
            guard let kind = IncidentKind(name: name) else {
                throw fail(map["kinds"], "Route \(key): unknown kind '\(name)'; use \(IncidentKind.allNames).")
            }
            route.kinds.insert(kind)
        }
        route.minSeverity = try int(map["min_severity"], key + ".min_severity", range: Incident.severities)
        route.exercise = try bool(map["exercise"], key + ".exercise")
        if let area = try self.map(map["area"], key + ".area") {
            route.area = try self.area(area, key: key + ".area", at: map["area"])
        }
        return route
    }

    func area(_ map: Node.Mapping, key: String, at node: Node?) throws(NoroshiError) -> ChatRoute.Area {
        if map["radius_km"] != nil {
            try checkKeys(map, allowed: ["latitude", "longitude", "radius_km"], path: key + ".")
            let latitude = try double(map["latitude"], key + ".latitude", range: -90...90)
            let longitude = try double(map["longitude"], key + ".longitude", range: -180...180)
            let radius = try double(map["radius_km"], key + ".radius_km", range: 0.001...20_000)
            guard let latitude, let longitude, let radius else {
                throw fail(node, "Area \(key) needs latitude, longitude and radius_km.")
            }
            return .circle(centre: try GeoPoint(latitude: latitude, longitude: longitude), metres: radius * 1000)
        }
        try checkKeys(
            map, allowed: ["min_latitude", "max_latitude", "min_longitude", "max_longitude"], path: key + ".")
        let values = try ["min_latitude", "max_latitude", "min_longitude", "max_longitude"].map {
            (name) throws(NoroshiError) in
            try double(map[name], "\(key).\(name)", range: name.hasSuffix("latitude") ? -90...90 : -180...180)
        }
        guard let minLat = values[0], let maxLat = values[1], let minLon = values[2], let maxLon = values[3],
            minLat <= maxLat, minLon <= maxLon
        else {
            throw fail(
                node,
                "Area \(key) needs either latitude, longitude and radius_km, or min_latitude ≤ max_latitude and "
                    + "min_longitude ≤ max_longitude.")
        }
        return .box(GeoBox(minLatitude: minLat, maxLatitude: maxLat, minLongitude: minLon, maxLongitude: maxLon))
    }

    /// `<name>_env` or `<name>_file`, exactly one of them (both missing is an error when `required`).
    func secret(
        _ map: Node.Mapping, _ name: String, _ key: String, what: String, environment: [String: String],
        required: Bool = true, at node: Node
    ) throws(NoroshiError) -> Secret? {
        let variable = try string(map[name + "_env"], "\(key).\(name)_env")
        let file = try string(map[name + "_file"], "\(key).\(name)_file")
        switch (variable, file) {
        case (let variable?, nil): return try Secret.environment(variable, in: environment, for: what)
        case (nil, let file?): return try Secret.file(file, for: what)
        case (nil, nil):
            guard required else { return nil }
            throw fail(
                node,
                "\(what) needs \(name)_env (an environment variable) or \(name)_file (a file); secrets are never "
                    + "written in the configuration file.")
        case (.some, .some):
            throw fail(map[name + "_file"], "\(what) gives both \(name)_env and \(name)_file; give one.")
        }
    }

    func required(_ map: Node.Mapping, _ name: String, _ key: String, at node: Node) throws(NoroshiError) -> String {
        guard let value = try string(map[name], "\(key).\(name)"), !value.isEmpty else {
            throw fail(map[name] ?? node, "Key '\(key).\(name)' is missing.")
        }
        return value
    }

    func bool(_ value: Node?, _ key: String) throws(NoroshiError) -> Bool? {
        guard let value else { return nil }
        guard let flag = value.bool else { throw fail(value, "Key '\(key)' must be true or false.") }
        return flag
    }

    func stringList(_ value: Node?, _ key: String) throws(NoroshiError) -> [String] {
        guard let value else { return [] }
        if let single = value.scalar { return [single.string] }
        guard let list = value.sequence, list.allSatisfy({ $0.scalar != nil }) else {
            throw fail(value, "Key '\(key)' must be a list of names.")
        }
        return list.compactMap { $0.scalar?.string }
    }
}
