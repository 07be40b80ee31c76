import Foundation
import NoroshiCore
import NoroshiHTTPClient
import NoroshiServer

/// Sends queued reports and photos, one at a time, and decides what each answer means for the queue.
struct Sender {
    /// What became of one attempt.
    enum Outcome {
        /// The server stored it (or had it already); it has left the queue.
        case sent(ReportReceipt)
        /// The server could not be reached or was busy; it stays queued.
        case deferred(String)
        /// The token is missing, wrong, revoked or lacks the role: it moved to the refused list, with the reason,
        /// rather than being tried for ever; `noroshi queue retry` puts it back once the token is fixed.
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
        /// True when photos were refused because the token is missing, wrong, revoked or lacks the role.
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
            (receipt, _) = try client.call(
                "POST", "/v1/reports", body: Self.dated(entry, now: Date()), as: ReportReceipt.self)
        } catch let failure as APIClient.Failure {
            let outcome = Outcome(failure)
            switch outcome {
            case .rejected(let reason), .unauthorized(let reason):
                for photo in try queue.photos(reportKey: entry.submission.clientKey) {
                    try queue.rejectPhoto(photo, report: entry.submission.clientKey, reason: "its report was refused")
                }
                try queue.reject(entry.id, reason: reason)
            case .deferred, .sent:
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

    /// The submission as it goes: a report without its own time that waited more than a minute says how long,
    /// so that the server dates it when it was written, not when the link came back. The wait is measured on
    /// this device's clock, which is right for an interval even when the clock itself is wrong.
    static func dated(_ entry: LocalQueue.Entry, now: Date) -> ReportSubmission {
        var submission = entry.submission
        let waited = now.timeIntervalSince(entry.queuedAt)
        if submission.observedAt == nil, waited > 60 {
            submission.queuedSeconds = min(waited.rounded(), ReportSubmission.maxQueuedSeconds)
        }
        return submission
    }

    /// Uploads photos to a report on the server, each with a progress display, printing one line per
    /// photo. Stops at the first failure that would fail the rest too (no connection, a bad token).
    func sendPhotos(_ photos: [LocalQueue.Photo], to reportID: Int64) throws -> PhotoTally {
        var tally = PhotoTally()
        for photo in photos {
            let transfer = progress.start(photo.name, bytes: photo.bytes)
            do {
                let receipt = try sendResumably(photo, to: reportID, transfer: transfer)
                transfer.finish(succeeded: true)
                try queue.removePhoto(photo)
                tally.sent += 1
                print(Self.describe(receipt, name: photo.name))
            } catch let failure as APIClient.Failure {
                transfer.finish(succeeded: false)
                let outcome = Outcome(failure)
                switch outcome {
                case .rejected, .unauthorized:
                    try queue.rejectPhoto(photo, report: "\(reportID)", reason: failure.message)
                    tally.rejected += 1
                    if case .unauthorized = outcome { tally.unauthorized = true }
                    CLIError.report("The server refused \(photo.name): \(failure.message)")
                    continue
                case .deferred, .sent:
                    // The rest would fail the same way, so they all stay queued.
                    try queue.notePhotoFailure(photo, reason: failure.message)
                    tally.stopped = failure.message
                    return tally
                }
            }
        }
        return tally
    }

    /// Sends one photo through a resumable (tus) upload: creates it once (remembered in the queue), asks the
    /// server how much it has and sends only the rest. A dropped connection is followed by another try from the
    /// server's offset, as long as each try gets further; three in a row without progress give up (the photo
    /// stays queued, its upload remembered for the next `sync`). A server without `/v1/uploads` gets the
    /// whole file in one plain POST.
    func sendResumably(_ photo: LocalQueue.Photo, to reportID: Int64, transfer: ProgressDisplay.Transfer) throws
        -> PhotoReceipt
    {
        var url = photo.uploadURL
        var freshStarts = 0
        var stalls = 0
        var best: Int64 = -1
        while true {
            do {
                if url == nil {
                    do {
                        let waited = Date().timeIntervalSince(photo.queuedAt)
                        url = try client.createUpload(
                            reportID: reportID, fileName: photo.name, sha256: photo.sha256, length: photo.bytes,
                            queuedSeconds: waited > 60 ? min(waited, ReportSubmission.maxQueuedSeconds) : nil)
                    } catch let failure as APIClient.Failure
                        where failure.status == 404 && failure.message.hasPrefix("There is no route")
                    {
                        return try client.upload(
                            "/v1/reports/\(reportID)/photos", file: photo.file, as: PhotoReceipt.self,
                            progress: transfer.update
                        ).0
                    }
                    try queue.setUploadURL(photo, url)
                }
                guard let location = url else { continue }
                var offset = try client.uploadOffset(location)
                if offset > best {
                    best = offset
                    stalls = 0
                }
                if offset < photo.bytes {
                    let start = offset
                    offset = try client.appendUpload(location, file: photo.file, from: start) { sent in
                        transfer.update(HTTPProgress(sent: start + sent.sent, total: photo.bytes))
                    }
                }
                guard let receipt = try client.upload(location).photo else {
                    throw APIClient.Failure(
                        status: nil, code: nil, message: "The server has the whole photo but has not stored it yet.")
                }
                return receipt
            } catch let failure as APIClient.Failure {
                if failure.status == 404 || failure.code == "checksum_mismatch", freshStarts < 1, url != nil {
                    // The upload expired or its bytes were refused as damaged: start once more from zero.
                    freshStarts += 1
                    url = nil
                    try queue.setUploadURL(photo, nil)
                    continue
                }
                guard failure.isTransient || failure.status == 423 else { throw failure }
                stalls += 1
                if stalls >= 3 { throw failure }
                Thread.sleep(forTimeInterval: 0.5 * Double(stalls))
            }
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
