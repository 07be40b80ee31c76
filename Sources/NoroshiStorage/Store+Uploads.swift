import Foundation
import GRDB
import NoroshiCore

/// Resumable (tus) uploads: which report each is for, how many bytes are synced, and what it became.
///
/// The bytes themselves are in a file the caller writes (`PhotoFiles.resumable`); a row's `received` is raised
/// only after those bytes are synced, so the row never claims more than the disk holds.
extension Store {
    /// Records a new upload for a report that exists (404 otherwise) or, with `reuse`, answers the unexpired
    /// upload that already has this id (`created` false): a creation whose answer was lost on the link, asked
    /// again; an expired one is replaced. `maxOpen` caps the unfinished uploads one token name may hold, so that
    /// nobody can reserve the disk with uploads never sent.
    public func createUpload(
        id: String, reportID: Int64, fileName: String?, length: Int64, sha256: String?, by actor: String,
        queuedSeconds: TimeInterval? = nil, preview: PreviewClaim? = nil, lifetime: TimeInterval, maxOpen: Int,
        reuse: Bool = false
    ) async throws(NoroshiError) -> (upload: ResumableUpload, created: Bool) {
        guard
            let created = try await insertUpload(
                id: id, reportID: reportID, fileName: fileName, length: length, sha256: sha256, by: actor,
                queuedSeconds: queuedSeconds, preview: preview, lifetime: lifetime, maxOpen: maxOpen, reuse: reuse)
        else {
            // A live upload has this id already: made by an earlier creation with the same key.
            guard let existing = try await upload(id: id) else {
                throw NoroshiError(.conflict, "This upload was being created and removed at once; create it again.")
            }
            return (existing, false)
        }
        return (created, true)
    }

    /// Inserts the row; nil when `reuse` finds a live row with this id already.
    private func insertUpload(
        id: String, reportID: Int64, fileName: String?, length: Int64, sha256: String?, by actor: String,
        queuedSeconds: TimeInterval?, preview: PreviewClaim?, lifetime: TimeInterval, maxOpen: Int, reuse: Bool
    ) async throws(NoroshiError) -> ResumableUpload? {
        let previewJSON = try preview.map { claim throws(NoroshiError) in
            do {
                return String(decoding: try JSONEncoder().encode(claim), as: UTF8.self)
            } catch {
                throw NoroshiError(.internal, "Cannot record the preview's claim.", cause: error)
            }
        }
        let now = clock.now()
        return try await write { db -> ResumableUpload? in
            _ = try Rows.fetchReport(db, id: reportID)
            if reuse {
                try db.execute(
                    sql: "DELETE FROM upload WHERE id = ? AND expires_at <= ?",
                    arguments: [id, now.millisecondsSince1970])
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM upload WHERE id = ?", arguments: [id]) != nil {
                    return nil
                }
            }
            let open =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM upload WHERE created_by = ? AND photo_sha256 IS NULL AND expires_at > ?",
                    arguments: [actor, now.millisecondsSince1970]) ?? 0
            guard open < maxOpen else {
                throw NoroshiError(
                    .conflict,
                    "This token already has \(open) unfinished uploads; finish or delete some before starting more.")
            }
            let expires = now.addingTimeInterval(lifetime)
            let added = queuedSeconds.map { now.addingTimeInterval(-$0) }
            try db.execute(
                sql: """
                    INSERT INTO upload (id, report_id, file_name, length, sha256, created_by, created_at, expires_at,
                        added_at, preview)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, reportID, fileName, length, sha256, actor, now.millisecondsSince1970,
                    expires.millisecondsSince1970, added?.millisecondsSince1970, previewJSON,
                ])
            return ResumableUpload(
                id: id, reportID: reportID, fileName: fileName, length: length, offset: 0, sha256: sha256,
                createdBy: actor, createdAt: now, expiresAt: expires, addedAt: added, preview: preview)
        }
    }

    /// An upload that has not expired, or nil.
    public func upload(id: String) async throws(NoroshiError) -> ResumableUpload? {
        let now = clock.now()
        return try await read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM upload WHERE id = ? AND expires_at > ?",
                    arguments: [id, now.millisecondsSince1970])
            else { return nil }
            var upload = ResumableUpload(
                id: row["id"], reportID: row["report_id"], fileName: row["file_name"], length: row["length"],
                offset: row["received"], sha256: row["sha256"], createdBy: row["created_by"],
                createdAt: Rows.date(row["created_at"]), expiresAt: Rows.date(row["expires_at"]),
                addedAt: (row["added_at"] as Int64?).map(Rows.date),
                preview: (row["preview"] as String?).flatMap {
                    try? JSONDecoder().decode(PreviewClaim.self, from: Data($0.utf8))
                })
            if let sha256: String = row["photo_sha256"], let photo = try Self.fetchPhoto(db, sha256: sha256) {
                // A preview's receipt names the original it stands for.
                let report = try Rows.fetchReport(db, id: upload.reportID)
                upload.photo = PhotoReceipt(
                    created: row["photo_created"] ?? false, reportID: upload.reportID,
                    incidentNumber: report.incidentNumber, photo: photo, filled: row["photo_filled"])
            }
            return upload
        }
    }

    /// Records that the upload's file now holds `offset` synced bytes, and keeps it `lifetime` longer.
    public func recordUploadProgress(id: String, offset: Int64, lifetime: TimeInterval) async throws(NoroshiError)
        -> Date
    {
        let expires = clock.now().addingTimeInterval(lifetime)
        try await write { db in
            try db.execute(
                sql: "UPDATE upload SET received = ?, expires_at = ? WHERE id = ? AND received <= ? AND length >= ?",
                arguments: [offset, expires.millisecondsSince1970, id, offset, offset])
        }
        return expires
    }

    /// Records the photo a complete upload became.
    public func finishUpload(id: String, receipt: PhotoReceipt) async throws(NoroshiError) {
        try await write { db in
            try db.execute(
                sql: "UPDATE upload SET photo_sha256 = ?, photo_created = ?, photo_filled = ? WHERE id = ?",
                arguments: [receipt.photo.sha256, receipt.created, receipt.filled, id])
        }
    }

    /// Forgets an upload (terminated, or its bytes refused).
    public func deleteUpload(id: String) async throws(NoroshiError) {
        try await write { db in try db.execute(sql: "DELETE FROM upload WHERE id = ?", arguments: [id]) }
    }

    /// Forgets every expired upload and returns their ids, for the caller to remove their files.
    public func expireUploads() async throws(NoroshiError) -> [String] {
        let now = clock.now()
        return try await write { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM upload WHERE expires_at <= ?", arguments: [now.millisecondsSince1970])
            try db.execute(sql: "DELETE FROM upload WHERE expires_at <= ?", arguments: [now.millisecondsSince1970])
            return ids
        }
    }

    /// The ids of every upload the store knows, expired or not: the files worth keeping.
    public func uploadIDs() async throws(NoroshiError) -> Set<String> {
        try await read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM upload")) }
    }
}
