import Foundation
import NoroshiCore
import NoroshiYAML
import Yams

/// Everything wrong with a playbook, each problem with its line and column.
public struct PlaybookError: Error, Sendable, CustomStringConvertible {
    public typealias Problem = YAMLProblem

    /// The file as the user named it.
    public var file: String
    /// In order of position.
    public var problems: [Problem]

    /// One line per problem, `FILE:LINE:COLUMN: message`, as compilers write them.
    public var description: String {
        problems.map { YAMLText.format($0, file: file) }.joined(separator: "\n")
    }
}

extension Playbook {
    /// Reads and checks a playbook file; photo paths resolve against the file's folder.
    public static func load(path: String) throws(PlaybookError) -> Playbook {
        let url = URL(fileURLWithPath: path)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw PlaybookError(
                file: path, problems: [.init(line: 1, column: 1, message: "cannot read the file as UTF-8 text")])
        }
        return try parse(text, file: path, folder: url.deletingLastPathComponent())
    }

    /// Reads and checks a playbook; every problem found is reported, not only the first.
    public static func parse(_ text: String, file: String, folder: URL) throws(PlaybookError) -> Playbook {
        var reader = PlaybookReader(folder: folder)
        let playbook = reader.playbook(text)
        guard let playbook, reader.problems.isEmpty else {
            throw PlaybookError(
                file: file, problems: reader.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return playbook
    }
}

/// Walks the YAML node tree, collecting problems with their positions.
struct PlaybookReader: YAMLReading {
    let folder: URL
    var problems: [PlaybookError.Problem] = []

    static let injectKinds = ["report", "status", "link", "merge", "fault", "restart", "note"]
    static let checkKinds = [
        "open_incidents", "same_incident", "separate_incidents", "status", "message", "no_duplicates",
        "outbox_empty", "all_exercise",
    ]

    mutating func playbook(_ text: String) -> Playbook? {
        let root: Node?
        switch YAMLText.compose(text) {
        case .success(let node): root = node
        case .failure(let problem):
            problems.append(problem)
            return nil
        }
        let keys: Set<String> = ["name", "description", "start", "speed", "rooms", "injects", "expect"]
        guard let root, let top = mapping(root, "the playbook", allowed: keys) else {
            if root == nil { problem(nil, "the playbook is empty") }
            return nil
        }
        let name = string(top["name"], "name", required: true, at: root) ?? ""
        let description = string(top["description"], "description") ?? ""
        let start = self.start(top["start"])
        let speed = self.speed(top["speed"])
        let rooms = self.rooms(top["rooms"])
        var injects: [Playbook.Inject] = []
        if let list = sequence(top["injects"], "injects", required: true, at: root) {
            if list.isEmpty { problem(top["injects"], "'injects' lists nothing") }
            for node in list { if let inject = inject(node) { injects.append(inject) } }
        }
        var expectations: [Playbook.Expectation] = []
        if let list = sequence(top["expect"], "expect") {
            for node in list { if let expectation = expectation(node) { expectations.append(expectation) } }
        }
        checkOrder(injects)
        checkReferences(injects: injects, expectations: expectations, rooms: rooms)
        return Playbook(
            name: name, description: description, start: start, speed: speed, rooms: rooms, injects: injects,
            expectations: expectations)
    }

    // MARK: Sections

    mutating func start(_ node: Node?) -> Date? {
        guard let node else { return nil }
        if let text = node.string, let date = RFC3339.date(from: text) { return date }
        problem(node, "'start' must be a time with its offset, such as 2026-11-21T09:00:00+09:00")
        return nil
    }

    mutating func speed(_ node: Node?) -> Playbook.Speed {
        guard let node else { return .controlled }
        if node.string == "controlled" { return .controlled }
        if let factor = node.float, factor > 0, factor <= 1000 { return .realTime(factor) }
        problem(node, "'speed' must be 'controlled' or a factor of real time from 0 to 1000 (1 is real time)")
        return .controlled
    }

    mutating func rooms(_ node: Node?) -> [Playbook.Room] {
        guard let node else { return [] }
        guard let map = mapping(node, "rooms") else { return [] }
        var rooms: [Playbook.Room] = []
        for (key, value) in map {
            guard let name = key.string, !name.isEmpty else {
                problem(key, "a room needs a name")
                continue
            }
            var language = ChatLanguage.japanese
            if let settings = value.mapping {
                checkKeys(settings, allowed: ["language"], in: "room '\(name)'")
                if let code = string(settings["language"], "language") {
                    if let known = ChatLanguage(rawValue: code) {
                        language = known
                    } else {
                        problem(settings["language"], "language '\(code)' is not 'ja' or 'en'")
                    }
                }
            } else if let scalar = value.scalar, ["", "~", "null"].contains(scalar.string) {
                // `name:` alone: a room with the defaults
            } else {
                problem(value, "room '\(name)' must be a mapping such as {language: en}, or empty")
            }
            rooms.append(Playbook.Room(name: name, language: language))
        }
        return rooms
    }

    mutating func inject(_ node: Node) -> Playbook.Inject? {
        guard let map = mapping(node, "an inject") else { return nil }
        let actions = map.keys.compactMap(\.string).filter { $0 != "at" && $0 != "id" }
        guard let at = offset(map["at"], "at", required: true, at: node) else { return nil }
        guard actions.count == 1, let kind = actions.first else {
            if actions.isEmpty {
                problem(node, "an inject needs one of: \(Self.injectKinds.joined(separator: ", "))")
            } else {
                problem(node, "an inject does one thing; this one has \(actions.sorted().joined(separator: ", "))")
            }
            return nil
        }
        let value = map[kind]
        let action: Playbook.Action?
        switch kind {
        case "report": action = report(value).map { .report($0) }
        case "status":
            let fields = mapping(value, "status", allowed: ["incident", "to"])
            let incident = string(fields?["incident"], "incident", required: true, at: value)
            let status = enumValue(fields?["to"], "to", IncidentStatus.self, at: value)
            action = incident.flatMap { incident in status.map { .status(incident: incident, to: $0) } }
        case "link":
            let fields = mapping(value, "link", allowed: ["report", "incident"])
            let report = string(fields?["report"], "report", required: true, at: value)
            let incident = string(fields?["incident"], "incident", required: true, at: value)
            action = report.flatMap { report in incident.map { .link(report: report, incident: $0) } }
        case "merge":
            let fields = mapping(value, "merge", allowed: ["incident", "into"])
            let incident = string(fields?["incident"], "incident", required: true, at: value)
            let into = string(fields?["into"], "into", required: true, at: value)
            action = incident.flatMap { incident in into.map { .merge(incident: incident, into: $0) } }
        case "fault": action = fault(value, start: at).map { .fault($0) }
        case "restart": action = .restart
        case "note": action = string(value, "note", required: true, at: node).map { .note($0) }
        default:
            problem(map.keys.first { $0.string == kind }, unknownInject(kind))
            action = nil
        }
        let id = string(map["id"], "id")
        guard let action else { return nil }
        return Playbook.Inject(id: id, at: at, action: action, line: node.mark?.line ?? 1)
    }

    func unknownInject(_ kind: String) -> String {
        let close = Self.injectKinds.first { $0.hasPrefix(String(kind.prefix(2))) }
        return "unknown inject '\(kind)'\(close.map { " (did you mean '\($0)'?)" } ?? ""); "
            + "known: \(Self.injectKinds.joined(separator: ", "))"
    }

    mutating func report(_ node: Node?) -> Playbook.ReportInject? {
        guard
            let fields = mapping(
                node, "report",
                allowed: [
                    "key", "kind", "latitude", "longitude", "place", "text", "unit", "reporter", "casualties", "homes",
                    "photos",
                ])
        else { return nil }
        let key = string(fields["key"], "key", required: true, at: node)
        let kind = enumValue(fields["kind"], "kind", IncidentKind.self, at: node)
        let text = string(fields["text"], "text", required: true, at: node)
        let latitude = number(fields["latitude"], "latitude", range: -90...90)
        let longitude = number(fields["longitude"], "longitude", range: -180...180)
        let place = string(fields["place"], "place")
        if (latitude == nil) != (longitude == nil) {
            problem(node, "a report gives both latitude and longitude, or neither")
        }
        if latitude == nil && place == nil {
            problem(node, "a report needs a position (latitude and longitude) or a place")
        }
        let casualties: Casualties? = counts(fields["casualties"], "casualties")
        let homes: HomeDamage? = counts(fields["homes"], "homes")
        var photos: [URL] = []
        for photo in sequence(fields["photos"], "photos") ?? [] {
            guard let path = string(photo, "a photo") else { continue }
            let url = (path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path))
                .standardizedFileURL
            if FileManager.default.isReadableFile(atPath: url.path) {
                photos.append(url)
            } else {
                problem(photo, "photo file '\(path)' not found (looked for \(url.path))")
            }
        }
        guard let key, let kind, let text else { return nil }
        return Playbook.ReportInject(
            key: key, kind: kind, latitude: latitude, longitude: longitude, place: place, text: text,
            unit: string(fields["unit"], "unit"), reporter: string(fields["reporter"], "reporter"),
            casualties: casualties, homes: homes, photos: photos)
    }

    /// A mapping of counts (`casualties:` with dead, missing, injured, severely_injured, slightly_injured;
    /// `homes:` with destroyed, half_destroyed, …), keyed as in the API.
    mutating func counts<C: DamageCounts>(_ node: Node?, _ what: String) -> C? {
        guard let values = mapping(node, what, allowed: Set(C.fields.map(\.key))) else { return nil }
        var result = C()
        for field in C.fields { result[keyPath: field.path] = count(values[field.key], field.key) }
        return result
    }

    mutating func fault(_ node: Node?, start: Duration) -> Playbook.Fault? {
        guard let fields = mapping(node, "fault", allowed: ["room", "kind", "until", "delay", "retry_after"]) else {
            return nil
        }
        let room = string(fields["room"], "room", required: true, at: node)
        let until = offset(fields["until"], "until", required: true, at: node)
        if let until, until <= start { problem(fields["until"], "a fault must end after it starts") }
        let kind: Playbook.Fault.Kind?
        switch string(fields["kind"], "kind", required: true, at: node) {
        case "unreachable": kind = .unreachable
        case "slow": kind = duration(fields["delay"], "delay", required: true, at: node).map { .slow($0) }
        case "rate_limited":
            kind = duration(fields["retry_after"], "retry_after", required: true, at: node).map {
                .rateLimited(retryAfter: $0)
            }
        case nil: kind = nil
        case let other?:
            problem(fields["kind"], "unknown fault '\(other)'; known: unreachable, slow, rate_limited")
            kind = nil
        }
        guard let room, let until, let kind else { return nil }
        return Playbook.Fault(room: room, kind: kind, until: until)
    }

    mutating func expectation(_ node: Node) -> Playbook.Expectation? {
        guard let map = mapping(node, "an expectation") else { return nil }
        let checks = map.keys.compactMap(\.string).filter { $0 != "at" && $0 != "by" }
        var timing = Playbook.Expectation.Timing.end
        if map["at"] != nil && map["by"] != nil {
            problem(node, "an expectation has 'at' or 'by', not both")
        } else if let at = offset(map["at"], "at") {
            timing = .at(at)
        } else if let by = offset(map["by"], "by") {
            timing = .by(by)
        }
        guard checks.count == 1, let kind = checks.first else {
            problem(node, "an expectation checks one of: \(Self.checkKinds.joined(separator: ", "))")
            return nil
        }
        let value = map[kind]
        let check: Playbook.Check?
        switch kind {
        case "open_incidents":
            let fields = mapping(value, "open_incidents", allowed: ["kind", "count"])
            let kind = fields?["kind"] == nil ? nil : enumValue(fields?["kind"], "kind", IncidentKind.self, at: value)
            check = count(fields?["count"], "count", required: true, at: value).map {
                .openIncidents(kind: kind, count: $0)
            }
        case "same_incident", "separate_incidents":
            let keys = (sequence(value, kind) ?? []).compactMap { string($0, "a report key") }
            if keys.count < 2 { problem(value, "'\(kind)' names at least two report keys") }
            check = kind == "same_incident" ? .sameIncident(keys) : .separateIncidents(keys)
        case "status":
            let fields = mapping(value, "status", allowed: ["incident", "is"])
            let incident = string(fields?["incident"], "incident", required: true, at: value)
            let status = enumValue(fields?["is"], "is", IncidentStatus.self, at: value)
            check = incident.flatMap { incident in status.map { .status(incident: incident, is: $0) } }
        case "message":
            let fields = mapping(value, "message", allowed: ["room", "contains", "within", "after"])
            let room = string(fields?["room"], "room", required: true, at: value)
            let contains = string(fields?["contains"], "contains", required: true, at: value)
            let within = duration(fields?["within"], "within", required: true, at: value)
            let after = string(fields?["after"], "after", required: true, at: value)
            if let room, let contains, let within, let after {
                check = .message(room: room, contains: contains, within: within, after: after)
            } else {
                check = nil
            }
        case "no_duplicates": check = flag(value, kind) ? .noDuplicates : nil
        case "outbox_empty": check = flag(value, kind) ? .outboxEmpty : nil
        case "all_exercise": check = flag(value, kind) ? .allExercise : nil
        default:
            problem(
                map.keys.first { $0.string == kind },
                "unknown expectation '\(kind)'; known: \(Self.checkKinds.joined(separator: ", "))")
            check = nil
        }
        guard let check else { return nil }
        return Playbook.Expectation(check: check, timing: timing, line: node.mark?.line ?? 1)
    }

    // MARK: Whole-playbook checks

    mutating func checkOrder(_ injects: [Playbook.Inject]) {
        for (earlier, later) in zip(injects, injects.dropFirst()) where later.at < earlier.at {
            problems.append(
                .init(
                    line: later.line, column: 1,
                    message:
                        "inject at \(DrillTime.format(later.at)) comes after one at \(DrillTime.format(earlier.at)); "
                        + "injects are listed in order of time"))
        }
    }

    mutating func checkReferences(
        injects: [Playbook.Inject], expectations: [Playbook.Expectation], rooms: [Playbook.Room]
    ) {
        let roomNames = Set(rooms.map(\.name))
        var known: Set<String> = []
        var ids: Set<String> = []
        func need(_ key: String, line: Int, _ problems: inout [PlaybookError.Problem], in known: Set<String>) {
            if !known.contains(key) {
                problems.append(
                    .init(line: line, column: 1, message: "no report with key '\(key)' is sent before this"))
            }
        }
        for inject in injects {
            if let id = inject.id {
                if !ids.insert(id).inserted {
                    problems.append(.init(line: inject.line, column: 1, message: "inject id '\(id)' is used twice"))
                }
            }
            switch inject.action {
            case .report(let report):
                if !known.insert(report.key).inserted {
                    problems.append(
                        .init(line: inject.line, column: 1, message: "report key '\(report.key)' is used twice"))
                }
            case .status(let incident, _): need(incident, line: inject.line, &problems, in: known)
            case .link(let report, let incident):
                need(report, line: inject.line, &problems, in: known)
                need(incident, line: inject.line, &problems, in: known)
            case .merge(let incident, let into):
                need(incident, line: inject.line, &problems, in: known)
                need(into, line: inject.line, &problems, in: known)
            case .fault(let fault) where !roomNames.contains(fault.room):
                problems.append(
                    .init(line: inject.line, column: 1, message: "fault names room '\(fault.room)', not in 'rooms'"))
            case .fault, .restart, .note: break
            }
        }
        for expectation in expectations {
            let line = expectation.line
            switch expectation.check {
            case .sameIncident(let keys), .separateIncidents(let keys):
                for key in keys { need(key, line: line, &problems, in: known) }
            case .status(let incident, _): need(incident, line: line, &problems, in: known)
            case .message(let room, _, _, let after):
                if !roomNames.contains(room) {
                    problems.append(
                        .init(line: line, column: 1, message: "message names room '\(room)', not in 'rooms'"))
                }
                if !known.contains(after) && !ids.contains(after) {
                    problems.append(
                        .init(
                            line: line, column: 1, message: "'after: \(after)' is neither an inject id nor a report key"
                        ))
                }
            case .openIncidents, .noDuplicates, .outboxEmpty, .allExercise: break
            }
        }
    }

    // MARK: Values

    mutating func offset(_ node: Node?, _ key: String, required: Bool = false, at parent: Node? = nil) -> Duration? {
        guard let text = string(node, key, required: required, at: parent) else { return nil }
        guard let offset = DrillTime.offset(text) else {
            problem(node, "'\(key)' is '\(text)'; a time is an offset from the start such as +00:05:00 or +05:00")
            return nil
        }
        return offset
    }

    mutating func duration(_ node: Node?, _ key: String, required: Bool = false, at parent: Node? = nil)
        -> Duration?
    {
        guard let text = string(node, key, required: required, at: parent) else { return nil }
        guard let duration = DrillTime.duration(text) else {
            problem(node, "'\(key)' is '\(text)'; a length of time is written 90s, 5m or 1h")
            return nil
        }
        return duration
    }
}
