import Foundation
import GRDB
import NoroshiCore

/// A bearer token as listed: never the secret, which exists only once, when the token is created.
public struct TokenInfo: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var createdAt: Date
    public var revokedAt: Date?
    /// After this the token is refused; nil: it does not expire.
    public var expiresAt: Date?
    /// The last request it authenticated (to the minute); nil: never used.
    public var lastUsedAt: Date?

    public init(
        id: Int64, name: String, role: Role, createdAt: Date, revokedAt: Date?, expiresAt: Date? = nil,
        lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }

    /// This token as the audit log names who acted.
    public var principal: Principal { Principal(tokenID: id, name: name) }

    enum CodingKeys: String, CodingKey {
        case id, name, role
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
    }
}

extension Store {
    /// The prefix every Noroshi token starts with, so that a leaked one is easy to recognise.
    public static let tokenPrefix = "nrs_"

    /// Creates a token and returns it with its secret; only the secret's SHA-256 is stored. A token with
    /// `expiresAt` is refused from that moment on. The audit log names `principal` as who created it.
    public func createToken(
        name: String, role: Role, expiresAt: Date? = nil, by principal: Principal = .console
    ) async throws(NoroshiError) -> (
        TokenInfo, secret: String
    ) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= limits.maxFieldLength else {
            throw NoroshiError(
                .invalidInput,
                "A token name must be 1 to \(limits.maxFieldLength) characters, e.g. 'Hida FD station 2'.")
        }
        // The name shows in the timeline, on the board and in tables: one line, no control characters.
        try TextRules.check(name, field: "name")
        guard !name.contains(where: { $0 == "\n" || $0 == "\t" }) else {
            throw NoroshiError(.invalidInput, "A token name is one line, without tabs or line breaks.")
        }
        let secret = Self.randomSecret(prefix: Self.tokenPrefix)
        let hash = Fingerprint.sha256(secret)
        let now = clock.now()
        if let expiresAt, expiresAt <= now {
            throw NoroshiError(.invalidInput, "A token's expiry must be in the future.")
        }
        let info = try await write { db in
            try db.executeCached(
                sql: "INSERT INTO token (name, role, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, role.rawValue, hash, now.millisecondsSince1970, expiresAt?.millisecondsSince1970]
            )
            let info = TokenInfo(
                id: db.lastInsertedRowID, name: name, role: role, createdAt: now, revokedAt: nil, expiresAt: expiresAt)
            try AuditLog.append(
                .tokenCreated, subject: "token \(info.id)",
                change: [
                    "id": .int(info.id), "name": .string(name), "role": .string(role.rawValue),
                    "expires_at": .of(expiresAt),
                ], by: principal, at: now, in: db)
            return info
        }
        tokenCache.tokensChanged()
        return (info, secret)
    }

    /// A prefix and 256 random bits in URL-safe base64, without padding.
    static func randomSecret(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Every token, revoked ones included, oldest first.
    public func tokens() async throws(NoroshiError) -> [TokenInfo] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.tokenColumns) FROM token ORDER BY id")
                .map(Self.tokenInfo)
        }
    }

    /// Revokes a token at once; requests that carry it get 401 from then on, and its board sessions end.
    public func revokeToken(id: Int64, by principal: Principal = .console) async throws(NoroshiError) -> TokenInfo {
        let now = clock.now()
        defer { tokenCache.tokensChanged() }
        return try await write { db in
            try db.executeCached(
                sql: "UPDATE token SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                arguments: [now.millisecondsSince1970, id]
            )
            try db.executeCached(sql: "DELETE FROM session WHERE token_id = ?", arguments: [id])
            guard
                let row = try db.cachedRow(
                    sql: "SELECT \(Self.tokenColumns) FROM token WHERE id = ?", arguments: [id])
            else { throw NoroshiError(.notFound, "Token \(id) does not exist; 'noroshi token list' shows them.") }
            let info = try Self.tokenInfo(row)
            try AuditLog.append(
                .tokenRevoked, subject: "token \(id)", change: ["id": .int(id), "name": .string(info.name)],
                by: principal, at: now, in: db)
            return info
        }
    }

    /// The token a secret belongs to, or nil when it is unknown or revoked; an expired token is an
    /// `unauthorized` error that says when it expired. Marks the token used (at most once a minute).
    ///
    /// Valid tokens are remembered in memory until any process changes the tokens of this data directory
    /// (see `TokenCache`), so a revocation — through the API or with `noroshi token revoke` — holds at once.
    public func authenticate(secret: String) async throws(NoroshiError) -> TokenInfo? {
        guard secret.hasPrefix(Self.tokenPrefix), secret.count < 200 else { return nil }
        let hash = Fingerprint.sha256(secret)
        let found: TokenInfo?
        do {
            found = try await tokenCache.token(hash: hash) {
                try await read { db in
                    try db.cachedRow(
                        sql: "SELECT \(Self.tokenColumns) FROM token WHERE hash = ? AND revoked_at IS NULL",
                        arguments: [hash]
                    ).map(Self.tokenInfo)
                }
            }
        } catch {
            throw Self.wrap(error, logger: logger)
        }
        guard let token = found else { return nil }
        let now = clock.now()
        try Self.checkExpiry(token, at: now)
        if tokenCache.shouldMarkUsed(token.id, at: now) {
            try await write { db in
                try db.executeCached(
                    sql: "UPDATE token SET last_used_at = ? WHERE id = ?",
                    arguments: [now.millisecondsSince1970, token.id])
            }
        }
        return token
    }

    /// Throws `unauthorized` naming the moment a token expired, if it has.
    static func checkExpiry(_ token: TokenInfo, at now: Date) throws(NoroshiError) {
        if let expiresAt = token.expiresAt, expiresAt <= now {
            throw NoroshiError(
                .unauthorized,
                "The bearer token '\(token.name)' expired at \(RFC3339.string(from: expiresAt)); ask an administrator for a "
                    + "new one.")
        }
    }

    /// The columns ``tokenInfo(_:)`` reads.
    static let tokenColumns = "id, name, role, created_at, revoked_at, expires_at, last_used_at"

    static func tokenInfo(_ row: Row) throws -> TokenInfo {
        let roleName: String = row["role"]
        guard let role = Role(rawValue: roleName) else {
            throw NoroshiError(.internal, "Token \(row["id"] as Int64) has an unknown role.")
        }
        return TokenInfo(
            id: row["id"],
            name: row["name"],
            role: role,
            createdAt: Rows.date(row["created_at"]),
            revokedAt: (row["revoked_at"] as Int64?).map(Rows.date),
            expiresAt: (row["expires_at"] as Int64?).map(Rows.date),
            lastUsedAt: (row["last_used_at"] as Int64?).map(Rows.date)
        )
    }
}

extension Store {
    /// How many tokens exist, revoked or not; also a cheap check that the database answers.
    public func tokenCount() async throws(NoroshiError) -> Int {
        try await read { db in try db.cachedValue(Int.self, sql: "SELECT count(*) FROM token") ?? 0 }
    }
}
