import Foundation
import NoroshiCore
import NoroshiServer

extension Play {
    /// Plays one inject through the board's API, logging what the board answered. A refused inject is a
    /// problem for the report, not the end of the drill.
    ///
    /// "Within N of" an inject counts from the moment it was played: against a live board on a loaded machine
    /// the runner can fall behind its schedule (a 2-core CI machine building Synapse played a +2 s inject 22 s
    /// late, and the board's 0.2 s answer was then judged 22.9 s late).
    func play(_ inject: Playbook.Inject) async {
        let name = inject.id.map { "\($0): " } ?? ""
        let played = max(inject.at, board.elapsed)
        let late = played - inject.at >= .seconds(1) ? " (played \(DrillTime.length(played - inject.at)) late)" : ""
        if let id = inject.id { injectTimes[id] = played }
        do {
            let text: String
            switch inject.action {
            case .report(let report):
                injectTimes[report.key] = played
                text = try await send(report)
            case .status(let key, let status):
                let number = try await incident(of: key)
                let changed = try await board.hq.call(
                    "PATCH", "/v1/incidents/\(number)", body: ["status": status.rawValue], as: Incident.self)
                text = "HQ sets \(changed.number) to \(changed.status.rawValue)"
            case .link(let key, let target):
                let number = try await incident(of: target)
                guard let report = sent[key] else { throw DrillError("Report '\(key)' was not sent.") }
                let moved = try await board.hq.call(
                    "POST", "/v1/reports/\(report.id)/link", body: ["incident": number], as: Report.self)
                place(key, in: moved.incidentNumber)
                text = "HQ links report \(key) to \(moved.incidentNumber)"
            case .merge(let source, let target):
                let from = try await incident(of: source)
                let into = try await incident(of: target)
                let merged = try await board.hq.call(
                    "POST", "/v1/incidents/\(into)/merge", body: ["source": from], as: Incident.self)
                for (key, report) in sent where report.incidents.last == from { place(key, in: merged.number) }
                text = "HQ merges \(from) into \(merged.number)"
            case .fault(let fault):
                let what = "\(fault.room): \(fault.kind.described) until \(DrillTime.format(fault.until))"
                if let skipped = board.fault(fault) {
                    log("fault", "\(name)\(what). \(skipped)")
                } else {
                    log("fault", "\(name)\(what)")
                    log("fault", "\(fault.room): the fault ends", at: fault.until)
                }
                runner.options.progress("\(DrillTime.format(inject.at)) fault \(what)")
                return
            case .restart:
                let skipped = try await board.restart()
                text = "The daemon restarts on the same data" + (skipped.map { ". \($0)" } ?? "")
            case .note(let note):
                log("note", note)
                runner.options.progress("\(DrillTime.format(inject.at)) note: \(note)")
                return
            }
            log("inject", name + text + late)
            runner.options.progress("\(DrillTime.format(inject.at)) \(name)\(text)\(late)")
        } catch {
            let problem =
                "Line \(inject.line), \(inject.action.kind) at \(DrillTime.format(inject.at)): the board refused it: "
                + "\(error)"
            problems.append(problem)
            log("inject", name + problem)
            runner.options.progress("\(DrillTime.format(inject.at)) \(name)FAILED: \(error)")
        }
    }

    /// Sends a field report and its photos, the way a crew's CLI does, flagged as exercise.
    private func send(_ inject: Playbook.ReportInject) async throws -> String {
        // The board's clock, not the drill's: at --speed 10 against a live board, drill time runs ahead of it.
        let observedAt = board.now
        let submission = ReportSubmission(
            clientKey: keyPrefix + inject.key, kind: inject.kind.rawValue, latitude: inject.latitude,
            longitude: inject.longitude, place: inject.place, text: inject.text, unit: inject.unit,
            reporter: inject.reporter, observedAt: RFC3339.string(from: observedAt), casualties: inject.casualties,
            homes: inject.homes, exercise: true)
        let receipt = try await board.field.call("POST", "/v1/reports", body: submission, as: ReportReceipt.self)
        let number = receipt.incident.number
        seen(number)
        sent[inject.key] = Sent(
            key: inject.key, id: receipt.report.id, at: board.elapsed, observedAt: receipt.report.observedAt,
            incidents: [number], placedAt: board.elapsed)
        var text =
            "Report \(inject.key) (\(inject.kind.rawValue)\(inject.place.map { ", \($0)" } ?? "")) "
            + (receipt.openedIncident ? "opens \(number)" : "joins \(number)")
        for photo in inject.photos {
            _ = try await board.field.upload(
                "/v1/reports/\(receipt.report.id)/photos", file: photo, as: PhotoUpload.self)
        }
        if !inject.photos.isEmpty {
            text += ", with \(inject.photos.count) photo\(inject.photos.count == 1 ? "" : "s")"
            // A photo's GPS can place a report that came without a position, and so move it.
            let report = try await board.hq.call("GET", "/v1/reports/\(receipt.report.id)", as: Report.self)
            if report.incidentNumber != number {
                place(inject.key, in: report.incidentNumber)
                text += "; its photo's position moves it to \(report.incidentNumber)"
            }
        }
        return text
    }

    /// The photo route's answer, which the runner only needs to have been a success.
    private struct PhotoUpload: Decodable {}

    /// Records that report `key` is now in incident `number`.
    func place(_ key: String, in number: String) {
        seen(number)
        guard var report = sent[key], report.incidents.last != number else { return }
        report.incidents.append(number)
        report.placedAt = board.elapsed
        sent[key] = report
    }

    /// The number of the incident that holds report `key` now.
    func incident(of key: String) async throws -> String {
        guard let report = sent[key] else { throw DrillError("Report '\(key)' was not sent.") }
        let current = try await board.hq.call("GET", "/v1/reports/\(report.id)", as: Report.self)
        place(key, in: current.incidentNumber)
        return current.incidentNumber
    }
}

extension Playbook.Fault.Kind {
    /// In words, for the report.
    var described: String {
        switch self {
        case .unreachable: "unreachable"
        case .slow(let delay): "answers after \(DrillTime.length(delay))"
        case .rateLimited(let retryAfter): "rate-limited (429, Retry-After \(DrillTime.length(retryAfter)))"
        }
    }
}
