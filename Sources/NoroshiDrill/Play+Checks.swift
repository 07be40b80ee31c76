import Foundation
import NoroshiClient
import NoroshiCore
import NoroshiServer

extension Play {
    /// Whether a check holds now, and what the runner saw, in a sentence.
    func check(_ check: Playbook.Check) async throws -> (Bool, String) {
        let unsent = check.reportKeys.filter { sent[$0] == nil }
        if !unsent.isEmpty {
            return (false, "report \(unsent.joined(separator: ", ")) not sent (yet)")
        }
        switch check {
        case .openIncidents(let kind, let count):
            let open = try await currentIncidents().filter { $0.isOpen && (kind == nil || $0.kind == kind) }
            let list = open.map { "\($0.number) (\($0.status.rawValue))" }.joined(separator: ", ")
            return (open.count == count, open.isEmpty ? "none open" : "\(open.count) open: \(list)")
        case .sameIncident(let keys):
            let places = try await incidents(of: keys)
            let distinct = Set(places.values)
            return (distinct.count == 1, distinct.count == 1 ? "all in \(distinct.first!)" : describe(places))
        case .separateIncidents(let keys):
            let places = try await incidents(of: keys)
            let distinct = Set(places.values)
            return (distinct.count == keys.count, describe(places))
        case .status(let key, let status):
            let number = try await incident(of: key)
            let incident = try await board.hq.call("GET", "/v1/incidents/\(number)", as: IncidentDetail.self).incident
            return (incident.status == status, "\(incident.number) is \(incident.status.rawValue)")
        case .message(let room, let contains, let within, let after):
            return try await message(room: room, contains: contains, within: within, after: after)
        case .noDuplicates:
            let messages = try await roomMessages()
            let repeats = messages.filter(\.isRepeat)
            guard let first = repeats.first else {
                let taken = messages.filter(\.isNew).count
                return (true, "\(taken) message\(taken == 1 ? "" : "s") taken, none twice")
            }
            return (
                false,
                "\(repeats.count) repeat\(repeats.count == 1 ? "" : "s"); first: \(first.room) received "
                    + "\(first.summary?.number ?? "a message") again at \(DrillTime.format(first.at)) "
                    + "(delivery \(first.deliveryID))"
            )
        case .outboxEmpty:
            let all = try await outbox()
            let pending = all.filter { $0.state == .queued || $0.state == .sending }
            let dead = all.filter { $0.state == .dead }
            if pending.isEmpty && dead.isEmpty {
                let delivered = all.filter { $0.state == .delivered }.count
                return (true, "\(delivered) delivered, nothing pending, nothing dead-lettered")
            }
            var parts: [String] = []
            if !pending.isEmpty { parts.append("\(pending.count) still pending") }
            for message in dead.prefix(3) {
                parts.append(
                    "dead letter in \(message.room) about \(message.incidentNumber ?? "?"): "
                        + "\(message.lastError ?? "no reason kept")")
            }
            return (false, parts.joined(separator: "; "))
        case .allExercise:
            let incidents = try await currentIncidents()
            let reports = try await sentReports().values.sorted { $0.id < $1.id }
            let real =
                incidents.filter { !$0.exercise }.map(\.number) + reports.filter { !$0.exercise }.map(\.clientKey)
            let counted = "\(incidents.count) incident\(incidents.count == 1 ? "" : "s") and \(reports.count) reports"
            return real.isEmpty
                ? (true, "\(counted), all flagged as exercise")
                : (false, "not exercise: \(real.joined(separator: ", "))")
        }
    }

    /// The first message in `room` containing `text` after the inject `after`.
    private func message(room: String, contains text: String, within: Duration, after: String) async throws -> (
        Bool, String
    ) {
        guard let from = injectTimes[after] else {
            return (false, "'\(after)' was not played")
        }
        let messages = try await roomMessages().filter {
            $0.room == room && $0.isNew && $0.at >= from
        }
        guard let match = messages.first(where: { $0.text.contains(text) }) else {
            return (
                false, "nothing containing it reached \(room) after \(after) (\(messages.count) other messages did)"
            )
        }
        let delay = match.at - from
        let observed =
            "\(match.summary?.number ?? "a message") arrived at \(DrillTime.format(match.at)), "
            + "\(DrillTime.length(delay)) after \(after)"
        return delay <= within ? (true, observed) : (false, observed + ": later than \(DrillTime.length(within))")
    }

    /// Every incident the drill created, as it stands now (merged ones included, with `mergedInto` set).
    func currentIncidents() async throws -> [Incident] {
        try await incidentDetails().map { number, detail in
            guard detail.incident.number != number else { return detail.incident }
            // The API answers for the incident it was merged into.
            var merged = detail.incident
            merged.number = number
            merged.mergedInto = detail.incident.number
            return merged
        }
    }

    /// The detail the API gives for each incident number the drill saw.
    func incidentDetails() async throws -> [(number: String, detail: IncidentDetail)] {
        if let settled { return settled.details }
        var details: [(number: String, detail: IncidentDetail)] = []
        for number in incidents {
            details.append((number, try await board.hq.call("GET", "/v1/incidents/\(number)", as: IncidentDetail.self)))
        }
        return details
    }

    /// The reports the drill sent, as the board has them now, by id.
    func sentReports() async throws -> [Int64: Report] {
        if let settled { return settled.reports }
        var reports: [Int64: Report] = [:]
        for report in sent.values {
            reports[report.id] = try await board.hq.call("GET", "/v1/reports/\(report.id)", as: Report.self)
        }
        return reports
    }

    /// What the rooms received about the drill's incidents.
    func roomMessages() async throws -> [RoomMessage] {
        if let settled { return settled.messages }
        return try await board.messages(incidents: Set(incidents))
    }

    private func incidents(of keys: [String]) async throws -> [String: String] {
        var places: [String: String] = [:]
        for key in keys { places[key] = try await incident(of: key) }
        return places
    }

    private func describe(_ places: [String: String]) -> String {
        var byIncident: [String: [String]] = [:]
        for (key, number) in places { byIncident[number, default: []].append(key) }
        return byIncident.sorted { $0.key < $1.key }.map { number, keys in
            "\(keys.sorted().joined(separator: ", ")) in \(number)"
        }.joined(separator: "; ")
    }

    /// The outbox's messages about the drill's incidents.
    func outbox() async throws -> [OutboxMessage] {
        if let settled { return settled.outbox }
        let list = try await board.hq.call("GET", "/v1/outbox?state=all&limit=10000", as: OutboxList.self)
        let ours = Set(incidents)
        return list.messages.filter { $0.incidentNumber.map(ours.contains) ?? false }
    }
}

extension Playbook.Check {
    /// The report keys the check names.
    var reportKeys: [String] {
        switch self {
        case .sameIncident(let keys), .separateIncidents(let keys): keys
        case .status(let key, _): [key]
        default: []
        }
    }
}

extension Playbook.Expectation {
    /// The expectation in words, with its timing.
    var described: String {
        let what: String
        switch check {
        case .openIncidents(let kind, let count):
            what = "\(count) open \(kind.map { "\($0.rawValue) " } ?? "")incident\(count == 1 ? "" : "s")"
        case .sameIncident(let keys): what = "\(keys.joined(separator: ", ")) in one incident"
        case .separateIncidents(let keys): what = "\(keys.joined(separator: ", ")) in separate incidents"
        case .status(let key, let status): what = "the incident of \(key) is \(status.rawValue)"
        case .message(let room, let contains, let within, let after):
            what = "\(room) receives a summary containing “\(contains)” within \(DrillTime.length(within)) of \(after)"
        case .noDuplicates: what = "no room receives a message twice"
        case .outboxEmpty: what = "the outbox is empty and nothing is dead-lettered"
        case .allExercise: what = "everything the drill created is flagged as exercise"
        }
        switch timing {
        case .at(let time): return "at \(DrillTime.format(time)): \(what)"
        case .by(let time): return "by \(DrillTime.format(time)): \(what)"
        case .end: return "at the end: \(what)"
        }
    }
}
