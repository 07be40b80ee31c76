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
    mutating func chat(_ node: Node, environment: [String: String]) -> ChatConfiguration? {
        let keys: Set<String> = [
            "board_url", "utc_offset", "gather_seconds", "photo_wait_seconds", "max_attempts", "max_age_hours",
            "report_update_seconds", "retry_base_seconds", "retry_max_seconds", "http", "rooms", "routes",
        ]
        guard let map = section(node, "chat", keys) else { return nil }
        var chat = ChatConfiguration()
        if let url = string(map["board_url"], "chat.board_url") {
            if url.hasPrefix("http://") || url.hasPrefix("https://") {
                chat.boardURL = url
            } else {
                problem(map["board_url"], "'chat.board_url' must be an http(s) URL")
            }
        }
        if let node = map["utc_offset"], let offset = utcOffset(node, "chat.utc_offset") { chat.utcOffset = offset }
        if let value = number(map["gather_seconds"], "chat.gather_seconds", range: 0...3600) {
            chat.outbox.gather = value
        }
        if let value = number(map["photo_wait_seconds"], "chat.photo_wait_seconds", range: 0...3600) {
            chat.outbox.photoWait = value
        }
        if let value = integer(map["max_attempts"], "chat.max_attempts", range: 1...1000) {
            chat.outbox.maxAttempts = value
        }
        if let value = number(map["max_age_hours"], "chat.max_age_hours", range: 0.01...8760) {
            chat.outbox.maxAge = value * 3600
        }
        if let value = number(map["report_update_seconds"], "chat.report_update_seconds", range: 0...86_400) {
            chat.outbox.reportUpdateInterval = value
        }
        if let value = number(map["retry_base_seconds"], "chat.retry_base_seconds", range: 0.01...3600) {
            chat.retryBase = .milliseconds(Int64(value * 1000))
        }
        if let value = number(map["retry_max_seconds"], "chat.retry_max_seconds", range: 0.01...86_400) {
            chat.retryMax = .milliseconds(Int64(value * 1000))
        }
        if let http = section(
            map["http"], "chat.http",
            ["timeout_seconds", "connect_timeout_seconds", "proxy", "ca_bundle", "verify_tls"])
        {
            if let value = number(http["timeout_seconds"], "chat.http.timeout_seconds", range: 0.1...3600) {
                chat.http.timeout = .milliseconds(Int64(value * 1000))
            }
            if let value = number(
                http["connect_timeout_seconds"], "chat.http.connect_timeout_seconds", range: 0.1...600)
            {
                chat.http.connectTimeout = .milliseconds(Int64(value * 1000))
            }
            chat.http.proxy = string(http["proxy"], "chat.http.proxy")
            if let path = string(http["ca_bundle"], "chat.http.ca_bundle") {
                if FileManager.default.isReadableFile(atPath: path) {
                    chat.http.caBundle = path
                } else {
                    problem(http["ca_bundle"], "the CA bundle '\(path)' cannot be read")
                }
            }
            if let value = bool(http["verify_tls"], "chat.http.verify_tls") { chat.http.verifyTLS = value }
        }
        if let rooms = mapping(map["rooms"], "chat.rooms") {
            for (name, value) in rooms.sorted(by: { ($0.key.string ?? "") < ($1.key.string ?? "") }) {
                if let room = room(name: name, value, environment: environment) { chat.rooms.append(room) }
            }
        }
        if let list = sequence(map["routes"], "chat.routes") {
            let known = Set(chat.rooms.map(\.name))
            chat.routes = list.enumerated().compactMap { index, item in
                route(item, key: "chat.routes[\(index + 1)]", known: known)
            }
        }
        return chat
    }

    mutating func room(name node: Node, _ value: Node, environment: [String: String]) -> RoomConfiguration? {
        let name = node.string ?? ""
        let key = "chat.rooms.\(name)"
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", options: .regularExpression) != nil else {
            problem(node, "room name '\(name.prefix(64))' must be letters, digits, '-' and '_' (at most 64)")
            return nil
        }
        guard let map = mapping(value, key) else { return nil }
        let common: Set<String> = ["type", "language", "messages_per_second"]
        let what = "room '\(name)'"
        let connector: ConnectorSettings?
        switch string(map["type"], key + ".type", required: true, at: node) {
        case "matrix":
            checkKeys(
                map,
                allowed: common.union([
                    "homeserver", "room", "user", "password_env", "password_file", "access_token_env",
                    "access_token_file", "device_id",
                ]), in: key, prefix: key + ".")
            let homeserver = string(map["homeserver"], key + ".homeserver", required: true, at: node)
            let room = string(map["room"], key + ".room", required: true, at: node)
            var authentication: MatrixConnector.Authentication?
            if map["access_token_env"] != nil || map["access_token_file"] != nil {
                authentication = secret(map, "access_token", key, what: what, environment: environment, at: node)
                    .map { .accessToken($0) }
            } else if let user = string(map["user"], key + ".user", required: true, at: node),
                let password = secret(map, "password", key, what: what, environment: environment, at: node)
            {
                authentication = .password(user: user, password: password)
            }
            if let homeserver, let room, let authentication {
                connector = .matrix(
                    homeserver: homeserver, room: room, authentication: authentication,
                    deviceID: string(map["device_id"], key + ".device_id") ?? "NOROSHI")
            } else {
                connector = nil
            }
        case "slack":
            checkKeys(map, allowed: common.union(["url_env", "url_file"]), in: key, prefix: key + ".")
            connector = secret(map, "url", key, what: what, environment: environment, at: node).map { .slack(url: $0) }
        case "teams":
            checkKeys(map, allowed: common.union(["url_env", "url_file"]), in: key, prefix: key + ".")
            connector = secret(map, "url", key, what: what, environment: environment, at: node).map { .teams(url: $0) }
        case "webhook":
            checkKeys(
                map, allowed: common.union(["url", "secret_env", "secret_file", "send_image"]), in: key,
                prefix: key + ".")
            let url = string(map["url"], key + ".url", required: true, at: node)
            let signing = secret(map, "secret", key, what: what, environment: environment, at: node)
            let sendImage = bool(map["send_image"], key + ".send_image") ?? true
            if let url, let signing {
                connector = .webhook(url: url, secret: signing, sendImage: sendImage)
            } else {
                connector = nil
            }
        case let other?:
            problem(map["type"], "\(what) has type '\(other)'; use matrix, slack, teams or webhook")
            connector = nil
        case nil:
            connector = nil
        }
        guard let connector else { return nil }
        var room = RoomConfiguration(name: name, connector: connector)
        if let language = string(map["language"], key + ".language") {
            if let value = ChatLanguage(rawValue: language) {
                room.language = value
            } else {
                problem(map["language"], "'\(key).language' must be ja or en")
            }
        }
        if let rate = number(map["messages_per_second"], key + ".messages_per_second", range: 0...1000) {
            room.messagesPerSecond = rate
        }
        return room
    }

    mutating func route(_ value: Node, key: String, known: Set<String>) -> ChatRoute? {
        guard
            let map = mapping(
                value, key, allowed: ["rooms", "kinds", "min_severity", "exercise", "area"], prefix: key + ".")
        else { return nil }
        let rooms = stringList(map["rooms"], key + ".rooms")
        if rooms.isEmpty { problem(value, "\(key) names no rooms") }
        for room in rooms where !known.contains(room) {
            problem(map["rooms"], "\(key) names room '\(room)', which is not configured")
        }
        var route = ChatRoute(rooms: rooms)
        for name in stringList(map["kinds"], key + ".kinds") {
            if let kind = IncidentKind(name: name) {
                route.kinds.insert(kind)
            } else {
                problem(map["kinds"], "\(key): unknown kind '\(name)'; use \(IncidentKind.allNames)")
            }
        }
        route.minSeverity = integer(
            map["min_severity"], key + ".min_severity",
            range: Incident.severities.lowerBound...Incident.severities.upperBound)
        route.exercise = bool(map["exercise"], key + ".exercise")
        if let area = mapping(map["area"], key + ".area") {
            route.area = self.area(area, key: key + ".area", at: map["area"])
        }
        return route
    }

    mutating func area(_ map: Node.Mapping, key: String, at node: Node?) -> ChatRoute.Area? {
        if map["radius_km"] != nil {
            checkKeys(map, allowed: ["latitude", "longitude", "radius_km"], in: key, prefix: key + ".")
            let latitude = number(map["latitude"], key + ".latitude", range: -90...90)
            let longitude = number(map["longitude"], key + ".longitude", range: -180...180)
            let radius = number(map["radius_km"], key + ".radius_km", range: 0.001...20_000)
            guard let latitude, let longitude, let radius,
                let centre = try? GeoPoint(latitude: latitude, longitude: longitude)
            else {
                problem(node, "\(key) needs latitude, longitude and radius_km")
                return nil
            }
            return .circle(centre: centre, metres: radius * 1000)
        }
        let names = ["min_latitude", "max_latitude", "min_longitude", "max_longitude"]
        checkKeys(map, allowed: Set(names), in: key, prefix: key + ".")
        let values = names.map { name in
            number(map[name], "\(key).\(name)", range: name.hasSuffix("latitude") ? -90...90 : -180...180)
        }
        guard let minLat = values[0], let maxLat = values[1], let minLon = values[2], let maxLon = values[3],
            minLat <= maxLat, minLon <= maxLon
        else {
            problem(
                node,
                "\(key) needs either latitude, longitude and radius_km, or min_latitude ≤ max_latitude and "
                    + "min_longitude ≤ max_longitude")
            return nil
        }
        return .box(GeoBox(minLatitude: minLat, maxLatitude: maxLat, minLongitude: minLon, maxLongitude: maxLon))
    }

    /// `<name>_env` or `<name>_file`, exactly one of them; nil (with a problem) when neither or both is given or
    /// the secret cannot be read.
    mutating func secret(
        _ map: Node.Mapping, _ name: String, _ key: String, what: String, environment: [String: String], at node: Node
    ) -> Secret? {
        let variable = string(map[name + "_env"], "\(key).\(name)_env")
        let file = string(map[name + "_file"], "\(key).\(name)_file")
        do {
            switch (variable, file) {
            case (let variable?, nil): return try Secret.environment(variable, in: environment, for: what)
            case (nil, let file?): return try Secret.file(file, for: what)
            case (nil, nil):
                problem(
                    node,
                    "\(what) needs \(name)_env (an environment variable) or \(name)_file (a file); secrets are never "
                        + "written in the configuration file")
            case (.some, .some):
                problem(map[name + "_file"], "\(what) gives both \(name)_env and \(name)_file; give one")
            }
        } catch {
            problem(map[name + "_env"] ?? map[name + "_file"], error.message)
        }
        return nil
    }

    /// One name, or a list of names.
    mutating func stringList(_ value: Node?, _ key: String) -> [String] {
        guard let value else { return [] }
        if let single = value.scalar { return [single.string] }
        guard let list = sequence(value, key) else { return [] }
        return list.compactMap { string($0, key) }
    }
}
