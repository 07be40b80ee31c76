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
    public func attachPhoto(_ photo: Photo, toReport reportID: Int64, by actor: String, addedAt: Date? = nil)
        async throws(NoroshiError) -> PhotoReceipt
    {
        let now = clock.now()
        let added = min(addedAt ?? now, now)
        let linker = Linker(policy: policy)
        let limits = limits
        return try await write { db in
            let report = try Rows.fetchReport(db, id: reportID)
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
            try db.executeCached(
                sql: "INSERT OR IGNORE INTO report_photo (report_id, sha256, added_at, added_by) VALUES (?, ?, ?, ?)",
                arguments: [reportID, photo.sha256, added.millisecondsSince1970, actor])
            let created = db.changesCount > 0
            if created {
                try IncidentWriter.record(
                    incidentID: report.incidentID, action: .photoAdded,
                    message:
                        "Photo \(photo.sha256.prefix(12)) (\(photo.width)×\(photo.height)) added to report \(reportID).",
                    actor: actor, reportID: reportID, at: now, in: db)
                try ChatEvents.queue(.photoAdded, incidentID: report.incidentID, at: now, in: db)
                try db.executeCached(
                    sql: "UPDATE incident SET last_activity_at = MAX(last_activity_at, ?), updated_at = ? WHERE id = ?",
                    arguments: [now.millisecondsSince1970, now.millisecondsSince1970, report.incidentID])
            }
            let stored = try Self.fetchPhoto(db, sha256: photo.sha256)!
            guard created else {
                return PhotoReceipt(
                    created: false, reportID: reportID, incidentNumber: report.incidentNumber, photo: stored)
            }
            let filled = try linker.fill(
                reportID: reportID, from: stored, limits: limits, actor: actor, at: now, in: db)
            return PhotoReceipt(
                created: true, reportID: reportID, incidentNumber: filled?.incidentNumber ?? report.incidentNumber,
                photo: stored, filled: filled?.message)
        }
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
    public func claimPhotoJob() async throws(NoroshiError) -> (sha256: String, orientation: Int)? {
        let now = clock.now()
        return try await write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT j.sha256, p.orientation FROM photo_job j JOIN photo p ON p.sha256 = j.sha256
                        WHERE j.started_at IS NULL ORDER BY j.created_at, j.sha256 LIMIT 1
                        """)
            else { return nil }
            let sha256: String = row["sha256"]
            try db.execute(
                sql: "UPDATE photo_job SET started_at = ?, attempts = attempts + 1 WHERE sha256 = ?",
                arguments: [now.millisecondsSince1970, sha256])
            return (sha256, row["orientation"] ?? 1)
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
            let incidents = try Int64.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT r.incident_id FROM report_photo p JOIN report r ON r.id = p.report_id
                    WHERE p.sha256 = ?
                    """, arguments: [sha256])
            for incident in incidents {
                try StreamEvents.append(
                    type: .photoReady, incidentID: incident, photo: sha256, at: now, in: db)
            }
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
        p.thumb_width, p.thumb_height, p.derivative_error
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
            derivativeError: row[offset + 19])
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
