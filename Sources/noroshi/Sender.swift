import Foundation
import NoroshiClient
import NoroshiCore
import NoroshiHTTPClient
import NoroshiPhotos

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
    /// Send originals straight away, without previews first (for a good link).
    var originalsFirst = false

    /// Sends a queued report, then its photos (previews first, then originals). Once the server has the
    /// report, its photos wait for that report on the server and the report leaves the queue (one
    /// transaction); until then sending it again is answered with the same report (its client key).
    ///
    /// `onReport` runs as soon as the server has the report, before its photos go, so the crew sees
    /// the incident number at once.
    func send(_ entry: LocalQueue.Entry, onReport: (ReportReceipt) -> Void) throws -> (Outcome, PhotoTally) {
        let outcome = try sendReport(entry)
        guard case .sent(let receipt) = outcome else { return (outcome, PhotoTally()) }
        onReport(receipt)
        return (outcome, try sendPhotos(try queue.photos(reportID: receipt.report.id)))
    }

    /// Sends a queued report's text alone; on success its photos are re-pointed at the server's report.
    func sendReport(_ entry: LocalQueue.Entry) throws -> Outcome {
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
            return outcome
        }
        try queue.markSent(entry, reportID: receipt.report.id)
        return .sent(receipt)
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

    /// Uploads photos of reports already on the server: every preview first (unless `originalsFirst`), then
    /// every original, each with a progress display and one line. Stops at the first failure that would fail
    /// the rest too (no connection).
    func sendPhotos(_ photos: [LocalQueue.Photo]) throws -> PhotoTally {
        var tally = PhotoTally()
        if !originalsFirst {
            for photo in photos where !photo.previewDone {
                if let stopped = try sendPreview(photo) {
                    tally.stopped = stopped
                    return tally
                }
            }
        }
        for photo in photos {
            guard let reportID = photo.reportID else { continue }
            let transfer = progress.start(photo.name, bytes: photo.bytes)
            do {
                let receipt = try sendResumably(Self.item(photo, queue: queue), to: reportID, transfer: transfer)
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

    /// Sends a photo's preview: its chat copy (1280 px, as `photo derive` makes it), made here and announced
    /// with the original's SHA-256, so that HQ sees what the photo shows long before every pixel is there.
    /// None goes when the original is barely larger (at most twice the preview). Returns why it stopped when
    /// the server could not be reached; a preview the server refuses is skipped (the original still goes).
    func sendPreview(_ photo: LocalQueue.Photo) throws -> String? {
        guard let reportID = photo.reportID else { return nil }
        let file = queue.preview(of: photo)
        let claim: PreviewClaim
        do {
            let header = try PhotoInspection.check(path: photo.file.path, limits: PhotoLimits(), readAll: false)
            claim = PreviewClaim(
                sha256: photo.sha256, bytes: photo.bytes, width: header.width, height: header.height,
                orientation: header.copyOrientation())
            if !FileManager.default.fileExists(atPath: file.path) {
                let chat = try Derivatives.make(
                    path: photo.file.path, orientation: claim.orientation, specs: [.chat])["chat"]
                guard let chat, Int64(chat.jpeg.count) * 2 < photo.bytes else {
                    try queue.markPreviewDone(photo)
                    return nil
                }
                try queue.photoFiles.writeDerivative(chat.jpeg, sha256: photo.sha256, name: "preview")
            }
        } catch let error as PhotoError {
            // It was checked when queued; if no copy can be made now, the original goes alone.
            CLIError.report("No preview of \(photo.name): \(error.message)")
            try queue.markPreviewDone(photo)
            return nil
        }
        let (sha256, bytes) = try PhotoFiles.sha256(of: file)
        let transfer = progress.start("preview of \(photo.name)", bytes: bytes)
        let item = UploadItem(
            file: file, name: photo.name, sha256: sha256, bytes: bytes, queuedAt: photo.queuedAt,
            savedURL: photo.previewURL,
            metadata: [
                ("preview_of", claim.sha256), ("original_length", String(claim.bytes)),
                ("original_width", String(claim.width)), ("original_height", String(claim.height)),
                ("original_orientation", String(claim.orientation)),
            ],
            remember: { try queue.setPreviewURL(photo, $0) }, plainFallback: false)
        do {
            let receipt = try sendResumably(item, to: reportID, transfer: transfer)
            transfer.finish(succeeded: true)
            try queue.markPreviewDone(photo)
            let size = receipt.photo.chat.map { "\($0.width)×\($0.height), " } ?? ""
            print(
                "Preview of \(photo.name) (\(size)\(ProgressDisplay.size(bytes))) is on report \(reportID), incident "
                    + "\(receipt.incidentNumber); the original follows.")
            return nil
        } catch let failure as APIClient.Failure {
            transfer.finish(succeeded: false)
            switch Outcome(failure) {
            case .deferred, .sent:
                return failure.message
            case .rejected, .unauthorized:
                CLIError.report(
                    "The server took no preview of \(photo.name) (\(failure.message)); the original follows.")
                try queue.markPreviewDone(photo)
                return nil
            }
        }
    }

    /// One file to send resumably: a photo's original or its preview.
    struct UploadItem {
        var file: URL
        var name: String
        var sha256: String
        var bytes: Int64
        var queuedAt: Date
        /// The upload the queue remembers from an earlier try.
        var savedURL: String?
        /// More `Upload-Metadata` (a preview's claim).
        var metadata: [(String, String)] = []
        /// Remembers (or forgets) the upload in the queue.
        var remember: (String?) throws -> Void
        /// Whether a server without `/v1/uploads` gets the file by plain POST (an original) or not at all.
        var plainFallback = true

        /// Names this queued file's upload to the server, the same in every run: its SHA-256 and the moment it
        /// was queued, so that the same photo queued again (another `photo add`) is another upload.
        var clientKey: String { "\(sha256.prefix(16))-\(Int64(queuedAt.timeIntervalSince1970 * 1000))" }
    }

    static func item(_ photo: LocalQueue.Photo, queue: LocalQueue) -> UploadItem {
        UploadItem(
            file: photo.file, name: photo.name, sha256: photo.sha256, bytes: photo.bytes, queuedAt: photo.queuedAt,
            savedURL: photo.uploadURL, remember: { try queue.setUploadURL(photo, $0) })
    }

    /// Sends one file through a resumable (tus) upload. The first try creates the upload with the whole file in
    /// its body (creation-with-upload): one round trip, whose answer names the stored photo. A try cut off asks
    /// again without a body; the client key (``UploadItem/clientKey``) finds the same upload, and only the rest
    /// goes by PATCH from the server's offset. The upload is remembered in the queue. A dropped connection is
    /// followed by another try, as long as each try gets further; three in a row without progress give up (the
    /// photo stays queued, its upload remembered for the next `sync`). A server without `/v1/uploads` gets an
    /// original in one plain POST.
    func sendResumably(_ item: UploadItem, to reportID: Int64, transfer: ProgressDisplay.Transfer) throws
        -> PhotoReceipt
    {
        // A creation that carried the body and got no answer is remembered as such, so that the next try, in
        // this run or a later one, asks again without the body instead of sending it twice.
        var url = item.savedURL == Self.createdWithBody ? nil : item.savedURL
        var bodyOnCreate = item.savedURL == nil
        var freshStarts = 0
        var stalls = 0
        var best: Int64 = -1
        // The offset the creation answered: no HEAD for it (a round trip saved per photo and preview, a second
        // on a 1 s link). After a cut the server is asked again.
        var knownOffset: Int64?
        while true {
            do {
                if url == nil {
                    let created: APIClient.CreatedUpload
                    do {
                        if bodyOnCreate { try item.remember(Self.createdWithBody) }
                        let waited = Date().timeIntervalSince(item.queuedAt)
                        created = try client.createUpload(
                            reportID: reportID, fileName: item.name, sha256: item.sha256, length: item.bytes,
                            queuedSeconds: waited > 60 ? min(waited, ReportSubmission.maxQueuedSeconds) : nil,
                            clientKey: item.clientKey, extra: item.metadata, file: bodyOnCreate ? item.file : nil,
                            progress: transfer.update)
                    } catch let failure as APIClient.Failure
                        where failure.status == 404 && failure.message.hasPrefix("There is no route")
                    {
                        guard item.plainFallback else { throw failure }
                        let kind = try? FileKind.identify(path: item.file.path).kind
                        guard case .photo(let format) = kind else { throw failure }
                        return try client.upload(
                            "/v1/reports/\(reportID)/photos", file: item.file, type: format.mediaType,
                            as: PhotoReceipt.self, progress: transfer.update
                        ).0
                    } catch let failure as APIClient.Failure where bodyOnCreate {
                        // From now on the creation is asked without a body: a cut one left its bytes on the server
                        // (409 says so at once), and the same client key finds them. A server older than
                        // creation-with-upload refuses the body (400, 415) and takes the bytes by PATCH.
                        bodyOnCreate = false
                        if [400, 409, 415].contains(failure.status) { continue }
                        throw failure
                    }
                    try item.remember(created.location)
                    url = created.location
                    if let receipt = created.upload?.photo { return receipt }
                    knownOffset = created.offset
                }
                guard let location = url else { continue }
                var offset = try knownOffset ?? client.uploadOffset(location)
                knownOffset = nil
                if offset > best {
                    best = offset
                    stalls = 0
                }
                if offset < item.bytes {
                    let start = offset
                    offset = try client.appendUpload(location, file: item.file, from: start) { sent in
                        transfer.update(HTTPProgress(sent: start + sent.sent, total: item.bytes))
                    }
                }
                guard let receipt = try client.upload(location).photo else {
                    throw APIClient.Failure(
                        status: nil, code: nil, message: "The server has the whole file but has not stored it yet.")
                }
                return receipt
            } catch let failure as APIClient.Failure {
                if failure.status == 404 || failure.code == "checksum_mismatch", freshStarts < 1, url != nil {
                    // The upload expired or its bytes were refused as damaged: start once more from zero.
                    freshStarts += 1
                    url = nil
                    try item.remember(nil)
                    continue
                }
                // 423: the server still holds the chunk a cut interrupted. 409: the offset moved under us (a HEAD
                // answered just before the server kept that chunk's bytes): ask again and go on from there. The
                // 409 used to end the pass, and `sync --watch` then waited 5 s after every cut.
                guard failure.isTransient || failure.status == 423 || failure.status == 409 else { throw failure }
                stalls += 1
                if stalls >= 3 { throw failure }
                Thread.sleep(forTimeInterval: (failure.status == 409 ? 0.1 : 0.5) * Double(stalls))
            }
        }
    }

    /// What the queue remembers for an upload whose creation carried the file and got no answer: its location
    /// is unknown, but the server may hold bytes, found by asking again with the same client key.
    static let createdWithBody = "created-with-body"

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
