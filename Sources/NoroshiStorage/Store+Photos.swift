import Foundation
import GRDB
import NoroshiCore

/// Photos: which report holds which file, the metadata read from it, and the jobs that make its copies.
///
/// The files themselves are written (and fsynced) by the caller before ``attachPhoto(_:toReport:by:)``;
/// the row points at bytes already on disk.
extension Store {
    /// Attaches a photo, already stored under its SHA-256, to a report, and queues its copies when the
    /// file is new. The same file sent again for the same report changes nothing (`created` false).
    /// A position or time the report left out is filled from the photo's EXIF (see `Linker.fill`).
    /// `addedAt` is when the photo was added on the device, when a queue held it (else now).
    public func attachPhoto(_ photo: Photo, toReport reportID: Int64, by principal: Principal, addedAt: Date? = nil)
        async throws(NoroshiError) -> PhotoReceipt
    {
        let now = clock.now()
        let actor = principal.name
        let added = min(addedAt ?? now, now)
        let linker = Linker(policy: policy)
        let limits = limits
        return try await write { db in
            let report = try Rows.fetchReport(db, id: reportID)
            // A preview sent ahead holds the photo's place: the original now takes it over.
            let preview = try Row.fetchOne(
                db, sql: "SELECT preview_width, preview_height FROM photo WHERE sha256 = ? AND preview_only = 1",
                arguments: [photo.sha256])
            if preview != nil {
                // The original's own copies replace the preview's; a preview job still running finds the
                // photo no longer a preview and leaves this job alone (completePreviewJob).
                try db.execute(
                    sql: """
                        UPDATE photo SET bytes = ?, width = ?, height = ?, orientation = ?, taken_at = ?, taken_at_text = ?,
                            latitude = ?, longitude = ?, altitude = ?, make = ?, model = ?, exif_error = ?,
                            derivatives = 'pending', derivative_error = NULL, preview_only = 0
                        WHERE sha256 = ?
                        """,
                    arguments: [
                        photo.bytes, photo.width, photo.height, photo.orientation, photo.takenAt?.millisecondsSince1970,
                        photo.takenAtText, photo.latitude, photo.longitude, photo.altitude, photo.make, photo.model,
                        photo.exifError, photo.sha256,
                    ])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO photo_job (sha256, created_at) VALUES (?, ?)",
                    arguments: [photo.sha256, now.millisecondsSince1970])
            }
            try db.executeCached(
                sql: """
                    INSERT OR IGNORE INTO photo (sha256, bytes, width, height, orientation, taken_at, taken_at_text,
                        latitude, longitude, altitude, make, model, exif_error, received_at, derivatives)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
                    """,
                arguments: [
                    photo.sha256, photo.bytes, photo.width, photo.height, photo.orientation,
                    photo.takenAt?.millisecondsSince1970, photo.takenAtText, photo.latitude, photo.longitude,
                    photo.altitude, photo.make, photo.model, photo.exifError, now.millisecondsSince1970,
                ])
            if db.changesCount > 0 {
                try db.executeCached(
                    sql: "INSERT INTO photo_job (sha256, created_at) VALUES (?, ?)",
                    arguments: [photo.sha256, now.millisecondsSince1970])
            }
            if let preview, let width: Int = preview["preview_width"], let height: Int = preview["preview_height"] {
                try Self.recordOriginal(
                    photo, previewSize: Photo.Size(width: width, height: height), report: report, actor: actor, at: now,
                    in: db)
            }
            let created = try Self.link(
                photo.sha256, to: report, addedAt: added, by: actor,
                message:
                    "Photo \(photo.sha256.prefix(12)) (\(photo.width)×\(photo.height)) added to report \(reportID).",
                at: now, in: db)
            let stored = try Self.fetchPhoto(db, sha256: photo.sha256)!
            guard created || preview != nil else {
                return PhotoReceipt(
                    created: false, reportID: reportID, incidentNumber: report.incidentNumber, photo: stored)
            }
            try AuditLog.append(
                .photoStored, subject: "report \(reportID)", incident: report.incidentNumber,
                change: [
                    "report": .int(reportID), "sha256": .string(photo.sha256), "bytes": .of(photo.bytes),
                    "width": .of(photo.width), "height": .of(photo.height), "replaces_preview": .bool(preview != nil),
                ], by: principal, at: now, in: db)
            // New to this report, or the original of a preview: what its EXIF says may fill the report's gaps.
            let filled = try linker.fill(
                reportID: reportID, from: stored, limits: limits, by: principal, at: now, in: db)
            // The original of a preview is new bytes stored, though the report already showed the photo.
            return PhotoReceipt(
                created: created || preview != nil, reportID: reportID,
                incidentNumber: filled?.incidentNumber ?? report.incidentNumber, photo: stored, filled: filled?.message)
        }
    }

    /// Attaches a preview (the device's chat copy, already in place as the photo's chat file) to a report,
    /// holding the place of the original announced in `claim` until it comes: the board shows it and chat
    /// posts it. A photo already known by that SHA-256 (its original, or an earlier preview) is only attached,
    /// and `stored` is false: the caller then has no use for the preview's file.
    public func attachPreview(
        _ claim: PreviewClaim, size: Photo.Size, toReport reportID: Int64, by principal: Principal,
        addedAt: Date? = nil
    ) async throws(NoroshiError) -> (receipt: PhotoReceipt, stored: Bool) {
        let now = clock.now()
        let actor = principal.name
        let added = min(addedAt ?? now, now)
        return try await write { db in
            let report = try Rows.fetchReport(db, id: reportID)
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO photo (sha256, bytes, width, height, orientation, received_at, derivatives,
                        chat_width, chat_height, preview_only, preview_width, preview_height)
                    VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, 1, ?, ?)
                    """,
                arguments: [
                    claim.sha256, claim.bytes, claim.width, claim.height, claim.orientation, now.millisecondsSince1970,
                    size.width, size.height, size.width, size.height,
                ])
            let stored = db.changesCount > 0
            if stored {
                try db.execute(
                    sql: "INSERT INTO photo_job (sha256, created_at) VALUES (?, ?)",
                    arguments: [claim.sha256, now.millisecondsSince1970])
            }
            let created = try Self.link(
                claim.sha256, to: report, addedAt: added, by: actor,
                message:
                    "Preview of photo \(claim.sha256.prefix(12)) (\(size.width)×\(size.height)) added to report "
                    + "\(reportID); the original (\(claim.width)×\(claim.height), \(claim.bytes) bytes) follows.",
                at: now, in: db)
            let photo = try Self.fetchPhoto(db, sha256: claim.sha256)!
            if created {
                try AuditLog.append(
                    .previewStored, subject: "report \(reportID)", incident: report.incidentNumber,
                    change: [
                        "report": .int(reportID), "sha256": .string(claim.sha256), "bytes": .of(claim.bytes),
                        "width": .of(claim.width), "height": .of(claim.height),
                        "preview": ["width": .of(size.width), "height": .of(size.height)],
                    ], by: principal, at: now, in: db)
            }
            return (
                PhotoReceipt(created: created, reportID: reportID, incidentNumber: report.incidentNumber, photo: photo),
                stored
            )
        }
    }

    /// Attaches a stored photo to a report; when it is new there, writes the timeline entry, the chat event and
    /// the incident's activity. Returns whether it was new.
    private static func link(
        _ sha256: String, to report: Report, addedAt added: Date, by actor: String, message: String, at now: Date,
        in db: Database
    ) throws -> Bool {
        try db.executeCached(
            sql: "INSERT OR IGNORE INTO report_photo (report_id, sha256, added_at, added_by) VALUES (?, ?, ?, ?)",
            arguments: [report.id, sha256, added.millisecondsSince1970, actor])
        guard db.changesCount > 0 else { return false }
        try IncidentWriter.record(
            incidentID: report.incidentID, action: .photoAdded, message: message, actor: actor, reportID: report.id,
            at: now, in: db)
        try ChatEvents.queue(.photoAdded, incidentID: report.incidentID, at: now, in: db)
        try db.executeCached(
            sql: "UPDATE incident SET last_activity_at = MAX(last_activity_at, ?), updated_at = ? WHERE id = ?",
            arguments: [now.millisecondsSince1970, now.millisecondsSince1970, report.incidentID])
        return true
    }

    /// The timeline entry for an original that replaced its preview, saying whether the preview could be a
    /// chat copy of it (its size against the original's own chat copy's).
    private static func recordOriginal(
        _ photo: Photo, previewSize: Photo.Size, report: Report, actor: String, at now: Date, in db: Database
    ) throws {
        let expected = Photo.Size.fitted(
            width: photo.width, height: photo.height, orientation: photo.orientation ?? 1, longSide: 1280)
        var message =
            "Original of photo \(photo.sha256.prefix(12)) (\(photo.width)×\(photo.height)) received; its copies "
            + "replace the preview."
        if !previewSize.agrees(with: expected) {
            message +=
                " The preview was \(previewSize.width)×\(previewSize.height), but a chat copy of the original is "
                + "\(expected.width)×\(expected.height): the preview did not show this photo."
        }
        try IncidentWriter.record(
            incidentID: report.incidentID, action: .photoAdded, message: message, actor: actor, reportID: report.id,
            at: now, in: db)
    }

    /// One photo's metadata, or nil when no report holds a file with this SHA-256.
    public func photo(sha256: String) async throws(NoroshiError) -> Photo? {
        try await read { db in try Self.fetchPhoto(db, sha256: sha256) }
    }

    /// A report with its photos, oldest first.
    public func reportDetail(id: Int64) async throws(NoroshiError) -> ReportDetail {
        try await read { db in
            ReportDetail(report: try Rows.fetchReport(db, id: id), photos: try Self.photos(db, reportID: id))
        }
    }

    /// The photos of every report of an incident, oldest first.
    static func incidentPhotos(_ db: Database, incidentID: Int64) throws -> [ReportPhoto] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT rp.report_id, rp.added_at, rp.added_by, \(Self.photoColumns)
                FROM report_photo rp JOIN report r ON r.id = rp.report_id JOIN photo p ON p.sha256 = rp.sha256
                WHERE r.incident_id = ? ORDER BY rp.added_at, rp.sha256
                """,
            arguments: [incidentID]
        ).map { row in
            ReportPhoto(
                reportID: row["report_id"], photo: try Self.photo(row, offset: 3),
                addedAt: Rows.date(row["added_at"]), addedBy: row["added_by"])
        }
    }

    // MARK: Jobs

    /// Releases one claimed job so that it runs again (after a failure that time may cure, such as a full disk).
    public func releasePhotoJob(sha256: String) async throws(NoroshiError) {
        try await write { db in
            try db.execute(sql: "UPDATE photo_job SET started_at = NULL WHERE sha256 = ?", arguments: [sha256])
        }
    }

    /// Releases every claimed job: at start-up they belong to a daemon that died while making them.
    /// Returns how many there were.
    @discardableResult
    public func releaseClaimedPhotoJobs() async throws(NoroshiError) -> Int {
        try await write { db in
            try db.execute(sql: "UPDATE photo_job SET started_at = NULL WHERE started_at IS NOT NULL")
            return db.changesCount
        }
    }

    /// Claims the oldest unclaimed job: the SHA-256 of the photo and its EXIF orientation.
    public func claimPhotoJob() async throws(NoroshiError) -> (sha256: String, orientation: Int, previewOnly: Bool)? {
        let now = clock.now()
        return try await write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT j.sha256, p.orientation, p.preview_only FROM photo_job j JOIN photo p ON p.sha256 = j.sha256
                        WHERE j.started_at IS NULL ORDER BY j.created_at, j.sha256 LIMIT 1
                        """)
            else { return nil }
            let sha256: String = row["sha256"]
            try db.execute(
                sql: "UPDATE photo_job SET started_at = ?, attempts = attempts + 1 WHERE sha256 = ?",
                arguments: [now.millisecondsSince1970, sha256])
            return (sha256, row["orientation"] ?? 1, (row["preview_only"] as Int? ?? 0) != 0)
        }
    }

    /// Records that a photo's copies are written (and synced) and removes its job.
    public func completePhotoJob(sha256: String, chat: Photo.Size, thumb: Photo.Size) async throws(NoroshiError) {
        let now = clock.now()
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE photo SET derivatives = 'ready', chat_width = ?, chat_height = ?, thumb_width = ?,
                        thumb_height = ?, derivative_error = NULL WHERE sha256 = ?
                    """,
                arguments: [chat.width, chat.height, thumb.width, thumb.height, sha256])
            try db.execute(sql: "DELETE FROM photo_job WHERE sha256 = ?", arguments: [sha256])
            try Self.announceReady(sha256, at: now, in: db)
        }
    }

    /// A `photo.ready` event on the stream of every incident that holds the photo.
    private static func announceReady(_ sha256: String, at now: Date, in db: Database) throws {
        let incidents = try Int64.fetchAll(
            db,
            sql: """
                SELECT DISTINCT r.incident_id FROM report_photo p JOIN report r ON r.id = p.report_id
                WHERE p.sha256 = ?
                """, arguments: [sha256])
        for incident in incidents {
            try StreamEvents.append(type: .photoReady, incidentID: incident, photo: sha256, at: now, in: db)
        }
    }

    /// Records that a preview's thumb is made, unless its original arrived meanwhile (whose own job then runs).
    public func completePreviewJob(sha256: String, thumb: Photo.Size) async throws(NoroshiError) {
        let now = clock.now()
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE photo SET derivatives = 'ready', thumb_width = ?, thumb_height = ?, derivative_error = NULL
                    WHERE sha256 = ? AND preview_only = 1
                    """,
                arguments: [thumb.width, thumb.height, sha256])
            guard db.changesCount > 0 else { return }
            try db.execute(sql: "DELETE FROM photo_job WHERE sha256 = ?", arguments: [sha256])
            try Self.announceReady(sha256, at: now, in: db)
        }
    }

    /// Records that a photo's copies cannot be made (the original stays) and removes its job.
    public func failPhotoJob(sha256: String, reason: String) async throws(NoroshiError) {
        try await write { db in
            try db.execute(
                sql: "UPDATE photo SET derivatives = 'failed', derivative_error = ? WHERE sha256 = ?",
                arguments: [reason, sha256])
            try db.execute(sql: "DELETE FROM photo_job WHERE sha256 = ?", arguments: [sha256])
        }
    }

    /// How many jobs wait or run.
    public func photoJobCount() async throws(NoroshiError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM photo_job") ?? 0 }
    }

    // MARK: Rows

    static let photoColumns = """
        p.sha256, p.bytes, p.width, p.height, p.orientation, p.taken_at, p.taken_at_text, p.latitude, p.longitude, \
        p.altitude, p.make, p.model, p.exif_error, p.received_at, p.derivatives, p.chat_width, p.chat_height, \
        p.thumb_width, p.thumb_height, p.derivative_error, p.preview_only
        """

    static func photo(_ row: Row, offset: Int = 0) throws -> Photo {
        let state: String = row[offset + 14]
        let chatWidth: Int? = row[offset + 15]
        let chatHeight: Int? = row[offset + 16]
        let thumbWidth: Int? = row[offset + 17]
        let thumbHeight: Int? = row[offset + 18]
        let takenAt: Int64? = row[offset + 5]
        return Photo(
            sha256: row[offset], bytes: row[offset + 1], width: row[offset + 2], height: row[offset + 3],
            orientation: row[offset + 4], takenAt: takenAt.map(Rows.date), takenAtText: row[offset + 6],
            latitude: row[offset + 7], longitude: row[offset + 8], altitude: row[offset + 9], make: row[offset + 10],
            model: row[offset + 11], exifError: row[offset + 12], receivedAt: Rows.date(row[offset + 13]),
            derivatives: Photo.Derivatives(rawValue: state) ?? .pending,
            chat: chatWidth.flatMap { width in chatHeight.map { Photo.Size(width: width, height: $0) } },
            thumb: thumbWidth.flatMap { width in thumbHeight.map { Photo.Size(width: width, height: $0) } },
            derivativeError: row[offset + 19], previewOnly: (row[offset + 20] as Int? ?? 0) != 0 ? true : nil)
    }

    static func fetchPhoto(_ db: Database, sha256: String) throws -> Photo? {
        try Row.fetchOne(db, sql: "SELECT \(photoColumns) FROM photo p WHERE p.sha256 = ?", arguments: [sha256])
            .map { try photo($0) }
    }

    static func photos(_ db: Database, reportID: Int64) throws -> [Photo] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT \(photoColumns) FROM report_photo rp JOIN photo p ON p.sha256 = rp.sha256
                WHERE rp.report_id = ? ORDER BY rp.added_at, rp.sha256
                """,
            arguments: [reportID]
        ).map { try photo($0) }
    }
}
