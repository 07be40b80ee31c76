import Foundation
import NoroshiCore

/// Sends queued reports, one at a time, and decides what each answer means for the queue.
struct Sender {
    /// What became of one attempt.
    enum Outcome {
        /// The server stored it (or had it already); it has left the queue.
        case sent(ReportReceipt)
        /// The server could not be reached or was busy; it stays queued.
        case deferred(String)
        /// The token is missing, wrong or lacks the role; it stays queued until that is fixed.
        case unauthorized(String)
        /// The server refused it for good (invalid or a clashing key); it moved to the rejected list.
        case rejected(String)
    }

    let client: APIClient
    let queue: LocalQueue

    func send(_ entry: LocalQueue.Entry) throws -> Outcome {
        do {
            let (receipt, _) = try client.call("POST", "/v1/reports", body: entry.submission, as: ReportReceipt.self)
            try queue.remove(entry.id)
            return .sent(receipt)
        } catch let failure as APIClient.Failure {
            if failure.isTransient {
                try queue.noteFailure(entry.id, reason: failure.message)
                return .deferred(failure.message)
            }
            if failure.status == 401 || failure.status == 403 {
                try queue.noteFailure(entry.id, reason: failure.message)
                return .unauthorized(failure.message)
            }
            if let status = failure.status, (500..<600).contains(status) {
                try queue.noteFailure(entry.id, reason: failure.message)
                return .deferred(failure.message)
            }
            try queue.reject(entry.id, reason: failure.message)
            return .rejected(failure.message)
        }
    }

    /// The one-line summary of a stored report, as a field crew reads it.
    static func describe(_ receipt: ReportReceipt) -> String {
        let incident = receipt.incident
        let kind = incident.kind.englishName
        if receipt.openedIncident {
            return
                "Report \(receipt.report.id) opened incident \(incident.number) (\(kind), \(incident.status.rawValue))."
        }
        let count = incident.reportCount == 1 ? "1 report" : "\(incident.reportCount) reports"
        return "Report \(receipt.report.id) joined incident \(incident.number) "
            + "(\(kind), \(incident.status.rawValue), \(count))."
    }
}
