import Foundation
import NoroshiCore
import NoroshiServer

extension Play {
    /// Gathers the after-action report once the drill is over.
    func report(realSeconds: Double) async throws -> AfterActionReport {
        let messages = try await roomMessages()
        let outbox = try await outbox()
        let incidentsNow = try await currentIncidents()
        var details: [String: IncidentDetail] = [:]
        for (_, detail) in try await incidentDetails() { details[detail.incident.number] = detail }
        let reportsNow = try await sentReports()

        // Reports: where each ended up, and how long it took to get there and into a room.
        var outcomes: [AfterActionReport.ReportOutcome] = []
        var firstByRoom: [String: [Double]] = [:]
        for report in sent.values.sorted(by: { $0.id < $1.id }) {
            guard let now = reportsNow[report.id] else { continue }
            var placedAt = report.placedAt
            var history = report.incidents
            if now.incidentNumber != history.last {
                // Moved by the board itself since the runner last looked: its incident's timeline says when.
                history.append(now.incidentNumber)
                let events = details[now.incidentNumber]?.timeline.filter {
                    $0.reportID == report.id && [.opened, .reportAdded, .reportLinked].contains($0.action)
                }
                placedAt = events?.last.map { board.offset(of: $0.at) } ?? board.elapsed
            }
            let counted = messages.filter { message in
                guard message.isNew, message.at >= report.at, let summary = message.summary,
                    history.contains(summary.number), let last = summary.lastReportAt
                else { return false }
                return last.millisecondsSince1970 >= report.observedAt.millisecondsSince1970
            }
            var rooms: Set<String> = []
            for message in counted where rooms.insert(message.room).inserted {
                firstByRoom[message.room, default: []].append(AfterActionReport.seconds(message.at - report.at))
            }
            outcomes.append(
                .init(
                    key: report.key, id: report.id, incident: now.incidentNumber,
                    sentAt: AfterActionReport.seconds(report.at),
                    toIncident: AfterActionReport.seconds(max(placedAt - report.at, .zero)),
                    toFirstMessage: counted.first.map { AfterActionReport.seconds($0.at - report.at) }))
        }
        var latencies = [
            AfterActionReport.latency(
                "report → incident", outcomes.compactMap(\.toIncident),
                missing: outcomes.filter { $0.toIncident == nil }.count),
            AfterActionReport.latency(
                "report → first chat message", outcomes.compactMap(\.toFirstMessage),
                missing: outcomes.filter { $0.toFirstMessage == nil }.count),
        ]
        for room in playbook.rooms.map(\.name) {
            let values = firstByRoom[room] ?? []
            latencies.append(
                AfterActionReport.latency(
                    "report → first chat message", room: room, values, missing: outcomes.count - values.count))
        }

        // The timeline: what the runner did, what the board recorded, what the rooms saw.
        for detail in details.values.sorted(by: { $0.incident.id < $1.incident.id }) {
            for event in detail.timeline {
                log("board", "\(detail.incident.number): \(event.message)", at: board.offset(of: event.at))
            }
        }
        // Rooms answer in parallel: at one moment, list them by name, so that every run reads the same.
        let ordered = messages.enumerated().sorted { a, b in
            (a.element.at, a.element.room, a.offset) < (b.element.at, b.element.room, b.offset)
        }.map(\.element)
        for message in ordered {
            let about = message.summary.map { "\($0.number) (\($0.reasons.map(\.rawValue).joined(separator: ", ")))" }
            let what = about ?? "a message"
            if let failure = message.failure {
                log("chat", "\(message.room) did not take \(what): \(failure)", at: message.at)
            } else if message.isRepeat {
                log("chat", "\(message.room) received \(what) again (delivery \(message.deliveryID))", at: message.at)
            } else {
                log("chat", "\(message.room) received \(what)", at: message.at)
            }
        }
        var tally = AfterActionReport.MessageTally()
        tally.delivered = messages.filter(\.isNew).count
        tally.failedAttempts = messages.filter { $0.failure != nil }.count
        tally.repeats = messages.filter(\.isRepeat).count
        tally.pending = outbox.filter { $0.state == .queued || $0.state == .sending }.count
        for message in outbox where message.state == .dead {
            tally.dead += 1
            log(
                "chat",
                "Dead letter: \(message.room), \(message.incidentNumber ?? "?") after \(message.attempts) attempts: "
                    + "\(message.lastError ?? "no reason kept")")
        }
        let order = ["inject": 0, "fault": 0, "note": 0, "board": 1, "chat": 2, "runner": 3]
        let entries = timeline.enumerated().sorted { a, b in
            (a.element.at, order[a.element.source] ?? 3, a.offset) < (
                b.element.at, order[b.element.source] ?? 3, b.offset
            )
        }.map(\.element)

        let judged = playbook.expectations.indices.compactMap { verdicts[$0] }
        return AfterActionReport(
            playbook: playbook.name, file: runner.file, description: playbook.description, mode: board.mode,
            startedAt: board.start, drillSeconds: AfterActionReport.seconds(board.elapsed), realSeconds: realSeconds,
            passed: problems.isEmpty && judged.allSatisfy(\.passed), expectations: judged, latencies: latencies,
            reports: outcomes,
            incidents: incidentsNow.map {
                .init(
                    number: $0.number, kind: $0.kind, title: $0.title, status: $0.status, reports: $0.reportCount,
                    exercise: $0.exercise, mergedInto: $0.mergedInto)
            },
            messages: tally, timeline: entries, problems: problems)
    }
}
