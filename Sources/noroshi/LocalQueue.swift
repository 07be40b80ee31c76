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
        /// When it was queued, by this device's clock.
        var queuedAt = Date()
    }

    /// One report waiting to be sent.
    struct Entry {
        var id: Int64
        var submission: ReportSubmission
        var queuedAt: Date
        var attempts: Int
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
    func add(_ submission: ReportSubmission, photos: [(name: String, sha256: String, bytes: Int64)]) throws -> Int64 {
        let body = try JSONEncoder.noroshi().encode(submission)
        return try queue.write { db in
            let now = Date().millisecondsSince1970
            try db.execute(
                sql: "INSERT INTO pending (client_key, body, queued_at) VALUES (?, ?, ?)",
                arguments: [submission.clientKey, body, now]
            )
            let id = db.lastInsertedRowID
            for photo in photos {
                try db.execute(
                    sql:
                        "INSERT INTO pending_photo (report_key, name, sha256, bytes, queued_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [submission.clientKey, photo.name, photo.sha256, photo.bytes, now])
            }
            return id
        }
    }

    /// Saves photos for a report the server already has (`noroshi photo add`).
    func addPhotos(reportID: Int64, _ photos: [(name: String, sha256: String, bytes: Int64)]) throws -> [Photo] {
        try queue.write { db in
            try photos.map { photo in
                try db.execute(
                    sql: "INSERT INTO pending_photo (report_id, name, sha256, bytes, queued_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [reportID, photo.name, photo.sha256, photo.bytes, Date().millisecondsSince1970])
                return Photo(
                    id: db.lastInsertedRowID, name: photo.name, sha256: photo.sha256, bytes: photo.bytes,
                    file: photoFiles.original(photo.sha256), reportID: reportID)
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
        try queue.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, name, sha256, bytes, report_id, upload_url, queued_at FROM pending_photo \(condition) ORDER BY id",
                arguments: arguments
            ).map { row in
                Photo(
                    id: row["id"], name: row["name"], sha256: row["sha256"], bytes: row["bytes"],
                    file: photoFiles.original(row["sha256"]), reportID: row["report_id"], uploadURL: row["upload_url"],
                    queuedAt: Date(millisecondsSince1970: row["queued_at"]))
            }
        }
    }

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
                sql: "INSERT INTO rejected_photo (report, name, sha256, rejected_at, reason) VALUES (?, ?, ?, ?, ?)",
                arguments: [report, photo.name, photo.sha256, Date().millisecondsSince1970, reason])
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
            try Row.fetchAll(db, sql: "SELECT id, body, queued_at, attempts FROM pending ORDER BY id").map { row in
                Entry(
                    id: row["id"],
                    submission: try JSONDecoder.noroshi().decode(ReportSubmission.self, from: row["body"]),
                    queuedAt: Date(millisecondsSince1970: row["queued_at"]),
                    attempts: row["attempts"]
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
                    INSERT INTO rejected (client_key, body, queued_at, rejected_at, reason)
                    SELECT client_key, body, queued_at, ?, ? FROM pending WHERE id = ?
                    """,
                arguments: [Date().millisecondsSince1970, reason, id]
            )
            try db.execute(sql: "DELETE FROM pending WHERE id = ?", arguments: [id])
        }
    }
}
