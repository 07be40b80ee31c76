import Foundation
import GRDB
import NoroshiCore

/// A board sign-in: the token it was opened with and the value its forms must carry.
public struct BoardSession: Sendable, Hashable {
    public var token: TokenInfo
    /// The CSRF value of this session: every state-changing form carries it, and a POST without it is refused.
    /// It is derived from the session's secret, so it is never stored and cannot be made without the cookie.
    public var csrf: String
    public var createdAt: Date
    public var lastSeenAt: Date
}

extension Store {
    /// The prefix of a session cookie's value.
    public static let sessionPrefix = "nrss_"

    /// Opens a session for a token secret; returns the cookie value (shown only this once) and the session, or
    /// nil when the token is unknown or revoked. Only the SHA-256 of the cookie value is stored.
    public func openSession(tokenSecret: String) async throws(NoroshiError) -> (secret: String, session: BoardSession)?
    {
        guard let token = try await authenticate(secret: tokenSecret) else { return nil }
        let secret = Self.randomSecret(prefix: Self.sessionPrefix)
        let now = clock.now()
        try await write { db in
            try db.execute(
                sql: "INSERT INTO session (hash, token_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                arguments: [
                    Fingerprint.sha256(secret), token.id, now.millisecondsSince1970, now.millisecondsSince1970,
                ])
            try AuditLog.append(
                .signedIn, subject: "token \(token.id)",
                change: ["session": .string(String(Fingerprint.sha256(secret).prefix(12)))],
                by: token.principal, at: now, in: db)
        }
        let session = BoardSession(token: token, csrf: Self.csrf(secret), createdAt: now, lastSeenAt: now)
        return (secret, session)
    }

    /// The live session a cookie value belongs to, or nil when it is unknown, ended, idle for longer than
    /// `idleLimit` (it is then removed) or its token was revoked. Use is recorded at most once a minute.
    public func session(secret: String, idleLimit: Duration) async throws(NoroshiError) -> BoardSession? {
        guard secret.hasPrefix(Self.sessionPrefix), secret.count < 200 else { return nil }
        let hash = Fingerprint.sha256(secret)
        let now = clock.now().millisecondsSince1970
        let idleMilliseconds = Int64(idleLimit.timeInterval * 1000)
        let found = try await read { db -> (BoardSession, Int64)? in
            guard
                let row = try db.cachedRow(
                    sql: """
                        SELECT t.id, t.name, t.role, t.created_at, t.revoked_at, t.expires_at, t.last_used_at,
                            s.created_at AS opened,
                            s.last_seen_at FROM session s JOIN token t ON t.id = s.token_id
                        WHERE s.hash = ? AND t.revoked_at IS NULL
                        """, arguments: [hash])
            else { return nil }
            let lastSeen: Int64 = row["last_seen_at"]
            let session = BoardSession(
                token: try Self.tokenInfo(row), csrf: Self.csrf(secret), createdAt: Rows.date(row["opened"]),
                lastSeenAt: Rows.date(lastSeen))
            return (session, lastSeen)
        }
        guard case (var session, let lastSeen)? = found else { return nil }
        if let expiresAt = session.token.expiresAt, expiresAt <= Rows.date(now) {
            try await endSession(secret: secret)
            return nil
        }
        if now - lastSeen > idleMilliseconds {
            try await endSession(secret: secret)
            return nil
        }
        if now - lastSeen > 60_000 {
            try await write { db in
                try db.execute(sql: "UPDATE session SET last_seen_at = ? WHERE hash = ?", arguments: [now, hash])
            }
            session.lastSeenAt = Rows.date(now)
        }
        return session
    }

    /// Ends a session (signing out); unknown values are ignored.
    public func endSession(secret: String) async throws(NoroshiError) {
        let hash = Fingerprint.sha256(secret)
        let now = clock.now()
        try await write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT t.id, t.name FROM session s JOIN token t ON t.id = s.token_id WHERE s.hash = ?",
                    arguments: [hash])
            else { return }
            try db.execute(sql: "DELETE FROM session WHERE hash = ?", arguments: [hash])
            try AuditLog.append(
                .signedOut, subject: "token \(row["id"] as Int64)",
                change: ["session": .string(String(hash.prefix(12)))],
                by: Principal(tokenID: row["id"], name: row["name"]), at: now, in: db)
        }
    }

    /// How many sessions are stored (live or not yet swept).
    public func sessionCount() async throws(NoroshiError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM session") ?? 0 }
    }

    static func csrf(_ secret: String) -> String { Fingerprint.sha256("csrf:" + secret) }
}
