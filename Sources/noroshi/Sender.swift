import Foundation
import NoroshiCore
import NoroshiServer

/// Sends queued reports and photos, one at a time, and decides what each answer means for the queue.
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

        init(_ failure: APIClient.Failure) {
            if failure.isTransient {
                self = .deferred(failure.message)
            } else if failure.status == 401 || failure.status == 403 {
                self = .unauthorized(failure.message)
            } else if let status = failure.status, (500..<600).contains(status) {
                self = .deferred(failure.message)
            } else {
                self = .rejected(failure.message)
            }
        }
    }

    /// What became of a report's photos.
    struct PhotoTally {
        var sent = 0
        var rejected = 0
        /// Why sending stopped with photos still queued (the server went away, the token failed).
        var stopped: String?
        /// True when it stopped because the token is missing, wrong or lacks the role.
        var unauthorized = false
    }

    let client: APIClient
    let queue: LocalQueue
    var progress = ProgressDisplay()

    /// Sends a queued report, then its photos. The report leaves the queue only when its photos have too;
    /// until then sending it again is answered with the same report (its client key).
    ///
    /// `onReport` runs as soon as the server has the report, before its photos go, so the crew sees
    /// the incident number at once.
    func send(_ entry: LocalQueue.Entry, onReport: (ReportReceipt) -> Void) throws -> (Outcome, PhotoTally) {
        let receipt: ReportReceipt
        do {
            (receipt, _) = try client.call("POST", "/v1/reports", body: entry.submission, as: ReportReceipt.self)
        } catch let failure as APIClient.Failure {
            let outcome = Outcome(failure)
            if case .rejected(let reason) = outcome {
                for photo in try queue.photos(reportKey: entry.submission.clientKey) {
                    try queue.rejectPhoto(photo, report: entry.submission.clientKey, reason: "its report was refused")
                }
                try queue.reject(entry.id, reason: reason)
            } else {
                try queue.noteFailure(entry.id, reason: failure.message)
            }
            return (outcome, PhotoTally())
        }
        onReport(receipt)
        let tally = try sendPhotos(try queue.photos(reportKey: entry.submission.clientKey), to: receipt.report.id)
        if let stopped = tally.stopped {
            try queue.noteFailure(entry.id, reason: stopped)
        } else {
            try queue.remove(entry.id)
        }
        return (.sent(receipt), tally)
    }

    /// Uploads photos to a report on the server, each with a progress display, printing one line per
    /// photo. Stops at the first failure that would fail the rest too (no connection, a bad token).
    func sendPhotos(_ photos: [LocalQueue.Photo], to reportID: Int64) throws -> PhotoTally {
        var tally = PhotoTally()
        for photo in photos {
            let transfer = progress.start(photo.name, bytes: photo.bytes)
            do {
                let (receipt, _) = try client.upload(
                    "/v1/reports/\(reportID)/photos", file: photo.file, as: PhotoReceipt.self,
                    progress: transfer.update)
                transfer.finish(succeeded: true)
                try queue.removePhoto(photo)
                tally.sent += 1
                print(Self.describe(receipt, name: photo.name))
            } catch let failure as APIClient.Failure {
                transfer.finish(succeeded: false)
                let outcome = Outcome(failure)
                if case .rejected = outcome {
                    try queue.rejectPhoto(photo, report: "\(reportID)", reason: failure.message)
                    tally.rejected += 1
                    CLIError.report("The server refused \(photo.name): \(failure.message)")
                    continue
                }
                // Deferred or unauthorized: the rest would fail the same way, so they all stay queued.
                try queue.notePhotoFailure(photo, reason: failure.message)
                tally.stopped = failure.message
                if case .unauthorized = outcome { tally.unauthorized = true }
                return tally
            }
        }
        return tally
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

    /// The one-line summary of a stored photo, and what it filled in on its report.
    static func describe(_ receipt: PhotoReceipt, name: String) -> String {
        let photo = receipt.photo
        let verb = receipt.created ? "added to" : "was already on"
        var line =
            "Photo \(name) (\(photo.width)×\(photo.height), sha256 \(photo.sha256.prefix(12))) \(verb) report "
            + "\(receipt.reportID), incident \(receipt.incidentNumber)."
        if let filled = receipt.filled { line += " " + filled }
        return line
    }
}
