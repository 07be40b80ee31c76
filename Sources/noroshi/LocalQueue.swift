import Foundation
import GRDB
import NoroshiCore
import NoroshiPhotos

/// The field device's queue: every report is saved here before it is sent, and stays until the server has it.
///
/// A small SQLite file in the user's data directory. Each entry keeps its client key, so sending it
/// again after a lost answer never creates a second report on the server. Photos wait beside it: a copy
/// of each file (fsynced, named by its SHA-256, under `queue-photos/`) with a row naming the report it
/// belongs to — a queued report's client key, or the server's report id for `noroshi photo add`. A
/// photo the server already has is answered 200, so sending one again is harmless too.
struct LocalQueue {
    /// One photo waiting to be sent.
    struct Photo {
        var id: Int64
        /// The file name as the crew gave it, for messages.
        var name: String
        var sha256: String
        var bytes: Int64
        /// The queued copy.
        var file: URL
        /// The server's report id, when the report is already there (`photo add`).
        var reportID: Int64?
        /// The resumable upload on the server that holds its bytes so far, once created.
        var uploadURL: String?
        /// The resumable upload of its preview (the chat copy made here), once created.
        var previewURL: String?
        /// True once the preview is on the server, or when none is worth sending (a photo barely larger).
        var previewDone = false
        /// When it was queued, by this device's clock.
        var queuedAt = Date()
        var attempts = 0
        var lastError: String?
        /// The server it was written for; nil for entries older than that record.
        var server: String?
    }

    /// One report waiting to be sent.
    struct Entry {
        var id: Int64
        var submission: ReportSubmission
        var queuedAt: Date
        var attempts: Int
        /// The server it was written for; nil for entries older than that record.
        var server: String? = nil
        var lastError: String? = nil
    }

    /// A report the server refused for good, kept with the reason.
    struct Refused {
        var id: Int64
        var submission: ReportSubmission
        var rejectedAt: Date
        var reason: String
        var server: String?
    }

    /// A photo the server refused for good (or whose report it refused), kept with the reason.
    struct RefusedPhoto {
        var id: Int64
        /// The report's client key, or the server's report id as digits.
        var report: String
        var name: String
        var sha256: String
        var rejectedAt: Date
        var reason: String
        var server: String?
    }

    let queue: DatabaseQueue
    /// Where the copies of queued photos live.
    let photoFiles: PhotoFiles

    init(file: URL = Paths.queueFile) throws {
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        queue = try DatabaseQueue(path: file.path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: pending reports") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pending (
                        id INTEGER PRIMARY KEY,
                        client_key TEXT NOT NULL UNIQUE,
                        body BLOB NOT NULL,
                        queued_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT
                    );
                    CREATE TABLE rejected (
                        id INTEGER PRIMARY KEY,
                        client_key TEXT NOT NULL,
                        body BLOB NOT NULL,
                        queued_at INTEGER NOT NULL,
                        rejected_at INTEGER NOT NULL,
                        reason TEXT NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v2: pending photos") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pending_photo (
                        id INTEGER PRIMARY KEY,
                        report_key TEXT,
                        report_id INTEGER,
                        name TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        bytes INTEGER NOT NULL,
                        queued_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        CHECK ((report_key IS NULL) != (report_id IS NULL))
                    );
                    CREATE INDEX pending_photo_report ON pending_photo(report_key);
                    CREATE TABLE rejected_photo (
                        id INTEGER PRIMARY KEY,
                        report TEXT NOT NULL,
                        name TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        rejected_at INTEGER NOT NULL,
                        reason TEXT NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v3: resumable uploads") { db in
            try db.execute(sql: "ALTER TABLE pending_photo ADD COLUMN upload_url TEXT")
        }
        migrator.registerMigration("v4: the server each entry was written for") { db in
            // NULL: queued before this migration; such entries go to whichever server syncs them.
            try db.execute(
                sql: """
                    ALTER TABLE pending ADD COLUMN server TEXT;
                    ALTER TABLE pending_photo ADD COLUMN server TEXT;
                    ALTER TABLE rejected ADD COLUMN server TEXT;
                    ALTER TABLE rejected_photo ADD COLUMN server TEXT;
                    """)
        }
        migrator.registerMigration("v5: previews") { db in
            try db.execute(
                sql: """
                    ALTER TABLE pending_photo ADD COLUMN preview_url TEXT;
                    ALTER TABLE pending_photo ADD COLUMN preview_done INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        try migrator.migrate(queue)
        photoFiles = try PhotoFiles(root: file.deletingLastPathComponent().appendingPathComponent("queue-photos"))
    }

    /// Copies a photo into the queue's own folder (fsynced, named by its SHA-256), so that it survives the
    /// original being moved or deleted before it is sent. Returns its hash and size.
    func copyIn(_ path: String) throws -> (sha256: String, bytes: Int64) {
        let upload = try photoFiles.beginUpload()
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try upload.write(chunk)
            }
            let sha256 = try upload.finish()
            let bytes = Int64(upload.bytes)
            _ = try photoFiles.keep(upload, sha256: sha256)
            return (sha256, bytes)
        } catch {
            upload.discard()
            throw error
        }
    }

    /// Saves a report and its photos (already copied in) in one transaction.
    @discardableResult
    func add(
        _ submission: ReportSubmission, photos: [(name: String, sha256: String, bytes: Int64)], server: String? = nil
    ) throws -> Int64 {
        let body = try JSONEncoder.noroshi().encode(submission)
        return try queue.write { db in
            let now = Date().millisecondsSince1970
            try db.execute(
                sql: "INSERT INTO pending (client_key, body, queued_at, server) VALUES (?, ?, ?, ?)",
                arguments: [submission.clientKey, body, now, server]
            )
            let id = db.lastInsertedRowID
            for photo in photos {
                try db.execute(
                    sql: """
                        INSERT INTO pending_photo (report_key, name, sha256, bytes, queued_at, server)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [submission.clientKey, photo.name, photo.sha256, photo.bytes, now, server])
            }
            return id
        }
    }

    /// Saves photos for a report the server already has (`noroshi photo add`).
    func addPhotos(reportID: Int64, _ photos: [(name: String, sha256: String, bytes: Int64)], server: String? = nil)
        throws -> [Photo]
    {
        try queue.write { db in
            try photos.map { photo in
                try db.execute(
                    sql: """
                        INSERT INTO pending_photo (report_id, name, sha256, bytes, queued_at, server)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [reportID, photo.name, photo.sha256, photo.bytes, Date().millisecondsSince1970, server])
                return Photo(
                    id: db.lastInsertedRowID, name: photo.name, sha256: photo.sha256, bytes: photo.bytes,
                    file: photoFiles.original(photo.sha256), reportID: reportID, server: server)
            }
        }
    }

    /// The photos waiting with a queued report, in the order given.
    func photos(reportKey: String) throws -> [Photo] {
        try fetchPhotos("WHERE report_key = ?", [reportKey])
    }

    /// The photos waiting for reports already on the server, oldest first.
    func photosForSentReports() throws -> [Photo] {
        try fetchPhotos("WHERE report_id IS NOT NULL", [])
    }

    private func fetchPhotos(_ condition: String, _ arguments: StatementArguments) throws -> [Photo] {
        try queue.read { db in try Self.photoRows(db, condition, arguments, files: photoFiles) }
    }

    private static func photoRows(
        _ db: Database, _ condition: String, _ arguments: StatementArguments, files: PhotoFiles
    ) throws -> [Photo] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, name, sha256, bytes, report_id, upload_url, queued_at, attempts, last_error, server,
                    preview_url, preview_done
                FROM pending_photo \(condition) ORDER BY id
                """,
            arguments: arguments
        ).map { row in
            Photo(
                id: row["id"], name: row["name"], sha256: row["sha256"], bytes: row["bytes"],
                file: files.original(row["sha256"]), reportID: row["report_id"], uploadURL: row["upload_url"],
                previewURL: row["preview_url"], previewDone: row["preview_done"],
                queuedAt: Date(millisecondsSince1970: row["queued_at"]), attempts: row["attempts"],
                lastError: row["last_error"], server: row["server"])
        }
    }

    /// Remembers (or forgets) the server's resumable upload of a photo's preview.
    func setPreviewURL(_ photo: Photo, _ url: String?) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE pending_photo SET preview_url = ? WHERE id = ?", arguments: [url, photo.id])
        }
    }

    /// Records that a photo's preview is on the server (or not worth sending), and removes its file.
    func markPreviewDone(_ photo: Photo) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE pending_photo SET preview_done = 1, preview_url = NULL WHERE id = ?", arguments: [photo.id]
            )
        }
        try? FileManager.default.removeItem(at: preview(of: photo))
    }

    /// Where a photo's preview (its chat copy, made on this device) waits.
    func preview(of photo: Photo) -> URL { photoFiles.derivative(photo.sha256, "preview") }

    /// After the server acknowledged a report: its photos now wait for that report on the server, and the
    /// report leaves the queue. One transaction, so a photo never loses its report.
    func markSent(_ entry: Entry, reportID: Int64) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE pending_photo SET report_id = ?, report_key = NULL WHERE report_key = ?",
                arguments: [reportID, entry.submission.clientKey])
            try db.execute(sql: "DELETE FROM pending WHERE id = ?", arguments: [entry.id])
        }
    }

    /// Photos waiting for a report already on the server.
    func photos(reportID: Int64) throws -> [Photo] { try fetchPhotos("WHERE report_id = ?", [reportID]) }

    /// Remembers (or, with nil, forgets) the server's resumable upload for a photo, so that a later `sync`
    /// continues it instead of starting again.
    func setUploadURL(_ photo: Photo, _ url: String?) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE pending_photo SET upload_url = ? WHERE id = ?", arguments: [url, photo.id])
        }
    }

    /// Removes a photo the server has acknowledged, and its copy when no other row needs it.
    func removePhoto(_ photo: Photo) throws {
        let unused = try queue.write { db in
            try db.execute(sql: "DELETE FROM pending_photo WHERE id = ?", arguments: [photo.id])
            // A refused photo's copy is kept with the reason, so it counts as needed too.
            let users = try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM pending_photo WHERE sha256 = ?)
                        + (SELECT count(*) FROM rejected_photo WHERE sha256 = ?)
                    """,
                arguments: [photo.sha256, photo.sha256])
            return users == 0
        }
        if unused { try? FileManager.default.removeItem(at: photo.file) }
        try? FileManager.default.removeItem(at: preview(of: photo))
    }

    /// Notes a failed photo upload that may succeed later.
    func notePhotoFailure(_ photo: Photo, reason: String) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE pending_photo SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                arguments: [reason, photo.id])
        }
    }

    /// Sets aside a photo the server refused for good, keeping its copy and the reason.
    func rejectPhoto(_ photo: Photo, report: String, reason: String) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO rejected_photo (report, name, sha256, rejected_at, reason, server)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [report, photo.name, photo.sha256, Date().millisecondsSince1970, reason, photo.server])
            try db.execute(sql: "DELETE FROM pending_photo WHERE id = ?", arguments: [photo.id])
        }
    }

    /// How many photos are waiting.
    func photoCount() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM pending_photo") ?? 0 }
    }

    /// Every waiting report, oldest first.
    func pending() throws -> [Entry] {
        try queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, body, queued_at, attempts, last_error, server FROM pending ORDER BY id"
            ).map { row in
                Entry(
                    id: row["id"],
                    submission: try JSONDecoder.noroshi().decode(ReportSubmission.self, from: row["body"]),
                    queuedAt: Date(millisecondsSince1970: row["queued_at"]),
                    attempts: row["attempts"], server: row["server"], lastError: row["last_error"]
                )
            }
        }
    }

    /// How many reports are waiting.
    func count() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM pending") ?? 0 }
    }

    /// Removes a report the server has acknowledged.
    func remove(_ id: Int64) throws {
        try queue.write { db in try db.execute(sql: "DELETE FROM pending WHERE id = ?", arguments: [id]) }
    }

    /// Notes a failed attempt that may succeed later.
    func noteFailure(_ id: Int64, reason: String) throws {
        try queue.write { db in
            try db.execute(
                sql: "UPDATE pending SET attempts = attempts + 1, last_error = ? WHERE id = ?", arguments: [reason, id])
        }
    }

    /// Moves a report the server refused for good out of the queue, keeping it and the reason.
    func reject(_ id: Int64, reason: String) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO rejected (client_key, body, queued_at, rejected_at, reason, server)
                    SELECT client_key, body, queued_at, ?, ?, server FROM pending WHERE id = ?
                    """,
                arguments: [Date().millisecondsSince1970, reason, id]
            )
            try db.execute(sql: "DELETE FROM pending WHERE id = ?", arguments: [id])
        }
    }

    // MARK: What the crew sees (`noroshi queue`)

    /// The reports and photos refused for good, newest first.
    func refused() throws -> (reports: [Refused], photos: [RefusedPhoto]) {
        try queue.read { db in
            let reports = try Row.fetchAll(
                db, sql: "SELECT id, body, rejected_at, reason, server FROM rejected ORDER BY id DESC"
            ).map { row in
                Refused(
                    id: row["id"],
                    submission: try JSONDecoder.noroshi().decode(ReportSubmission.self, from: row["body"]),
                    rejectedAt: Date(millisecondsSince1970: row["rejected_at"]), reason: row["reason"],
                    server: row["server"])
            }
            let photos = try Row.fetchAll(
                db,
                sql: "SELECT id, report, name, sha256, rejected_at, reason, server FROM rejected_photo ORDER BY id DESC"
            ).map { row in
                RefusedPhoto(
                    id: row["id"], report: row["report"], name: row["name"], sha256: row["sha256"],
                    rejectedAt: Date(millisecondsSince1970: row["rejected_at"]), reason: row["reason"],
                    server: row["server"])
            }
            return (reports, photos)
        }
    }

    /// Every photo waiting, for any report.
    func allPhotos() throws -> [Photo] { try fetchPhotos("", []) }

    /// Puts a refused report back in the queue with the photos refused with it (for after the token or the
    /// body is fixed). False when there is no such refused report.
    func retryRefused(reportID id: Int64) throws -> Bool {
        try queue.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM rejected WHERE id = ?", arguments: [id]) else {
                return false
            }
            let key: String = row["client_key"]
            try db.execute(
                sql: "INSERT OR IGNORE INTO pending (client_key, body, queued_at, server) VALUES (?, ?, ?, ?)",
                arguments: [key, row["body"] as Data, row["queued_at"] as Int64, row["server"] as String?])
            try db.execute(sql: "DELETE FROM rejected WHERE id = ?", arguments: [id])
            for photo in try Row.fetchAll(db, sql: "SELECT id FROM rejected_photo WHERE report = ?", arguments: [key]) {
                _ = try Self.retryRefusedPhoto(photo["id"], in: db, files: photoFiles)
            }
            return true
        }
    }

    /// Puts a refused photo back in the queue. False when there is no such refused photo.
    func retryRefused(photoID id: Int64) throws -> Bool {
        try queue.write { db in try Self.retryRefusedPhoto(id, in: db, files: photoFiles) }
    }

    private static func retryRefusedPhoto(_ id: Int64, in db: Database, files: PhotoFiles) throws -> Bool {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM rejected_photo WHERE id = ?", arguments: [id]) else {
            return false
        }
        let report: String = row["report"]
        let sha256: String = row["sha256"]
        let size = (try? FileManager.default.attributesOfItem(atPath: files.original(sha256).path)[.size] as? Int) ?? 0
        let reportID = Int64(report)
        try db.execute(
            sql: """
                INSERT INTO pending_photo (report_key, report_id, name, sha256, bytes, queued_at, server)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                reportID == nil ? report : nil, reportID, row["name"] as String, sha256, size,
                Date().millisecondsSince1970, row["server"] as String?,
            ])
        try db.execute(sql: "DELETE FROM rejected_photo WHERE id = ?", arguments: [id])
        return true
    }

    /// Drops a waiting report and its photos, never to be sent. False when there is no such report.
    func drop(reportID id: Int64) throws -> Bool {
        let (found, photos) = try queue.read { db -> (Bool, [Photo]) in
            guard let key = try String.fetchOne(db, sql: "SELECT client_key FROM pending WHERE id = ?", arguments: [id])
            else { return (false, []) }
            return (true, try Self.photoRows(db, "WHERE report_key = ?", [key], files: photoFiles))
        }
        guard found else { return false }
        for photo in photos { try removePhoto(photo) }
        try remove(id)
        return true
    }

    /// Drops a waiting photo, never to be sent. False when there is no such photo.
    func drop(photoID id: Int64) throws -> Bool {
        guard let photo = try fetchPhotos("WHERE id = ?", [id]).first else { return false }
        try removePhoto(photo)
        return true
    }

    /// Forgets a refused report (and the photos refused with it), or a refused photo, and their copies.
    func forget(refusedReport id: Int64) throws -> Bool {
        try queue.write { db in
            guard
                let key = try String.fetchOne(db, sql: "SELECT client_key FROM rejected WHERE id = ?", arguments: [id])
            else { return false }
            try db.execute(sql: "DELETE FROM rejected WHERE id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM rejected_photo WHERE report = ?", arguments: [key])
            return true
        }
    }

    func forget(refusedPhoto id: Int64) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM rejected_photo WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Removes copies no row needs any more (after rows were forgotten).
    func removeUnusedCopies() throws {
        let used = try queue.read { db in
            Set(
                try String.fetchAll(db, sql: "SELECT sha256 FROM pending_photo UNION SELECT sha256 FROM rejected_photo")
            )
        }
        let root = photoFiles.root
        for folder in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [] where folder.count == 2 {
            let directory = root.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                let sha256 = String(name.prefix { $0 != "." })
                if !used.contains(sha256) {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
                }
            }
        }
    }
}
