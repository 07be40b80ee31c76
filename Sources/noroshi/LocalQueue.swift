import Foundation
import GRDB
import NoroshiCore

/// The field device's queue: every report is saved here before it is sent, and stays until the server has it.
///
/// A small SQLite file in the user's data directory. Each entry keeps its client key, so sending it
/// again after a lost answer never creates a second report on the server.
struct LocalQueue {
    /// One report waiting to be sent.
    struct Entry {
        var id: Int64
        var submission: ReportSubmission
        var queuedAt: Date
        var attempts: Int
    }

    let queue: DatabaseQueue

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
        try migrator.migrate(queue)
    }

    /// Saves a report durably before any attempt to send it.
    @discardableResult
    func add(_ submission: ReportSubmission) throws -> Int64 {
        let body = try JSONEncoder.noroshi().encode(submission)
        return try queue.write { db in
            try db.execute(
                sql: "INSERT INTO pending (client_key, body, queued_at) VALUES (?, ?, ?)",
                arguments: [submission.clientKey, body, Date().millisecondsSince1970]
            )
            return db.lastInsertedRowID
        }
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
