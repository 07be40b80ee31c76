import Crypto
import Foundation
import GRDB
import NoroshiCore

/// The audit log's signing key: Ed25519, kept in the data directory with mode 0600.
public enum AuditKey {
    public static let fileName = "audit-signing.key"

    /// The key in `directory`, or nil when there is none yet.
    public static func load(directory: URL) throws(NoroshiError) -> Curve25519.Signing.PrivateKey? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let text = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let raw = Data(base64Encoded: text) else {
                throw NoroshiError(.unavailable, "The audit signing key '\(url.path)' is damaged.")
            }
            return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        } catch let error as NoroshiError {
            throw error
        } catch {
            throw NoroshiError(.unavailable, "Cannot read the audit signing key '\(url.path)'.", cause: error)
        }
    }

    /// The key in `directory`, made (0600, fsynced with its directory) when there is none.
    public static func loadOrCreate(directory: URL) throws(NoroshiError) -> Curve25519.Signing.PrivateKey {
        if let key = try load(directory: directory) { return key }
        let key = Curve25519.Signing.PrivateKey()
        let path = directory.appendingPathComponent(fileName).path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            // Another process made it first: use theirs.
            if errno == EEXIST, let key = try load(directory: directory) { return key }
            throw NoroshiError(.unavailable, "Cannot create the audit signing key '\(path)' (errno \(errno)).")
        }
        defer { close(descriptor) }
        let text = Array((key.rawRepresentation.base64EncodedString() + "\n").utf8)
        guard write(descriptor, text, text.count) == text.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw NoroshiError(.unavailable, "Cannot write the audit signing key '\(path)' (errno \(errno)).")
        }
        let folder = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
        return key
    }
}

/// A signed head of the audit log: the last row's number and hash when it was signed, the signer's public key
/// and the signature. Its one-line form (``line``) is what `noroshi audit head` prints and witness rooms get.
public struct AuditHead: Sendable, Hashable, Codable {
    public var seq: Int64
    public var hash: String
    public var at: Date
    /// The Ed25519 public key, base64.
    public var publicKey: String
    /// The signature over ``signedBytes``, base64.
    public var signature: String

    static let format = "noroshi-audit-head/1"

    enum CodingKeys: String, CodingKey {
        case seq, hash, at, signature
        case publicKey = "public_key"
    }

    /// What is signed: the format, the row number, its hash and the time in milliseconds, one per line.
    var signedBytes: Data {
        Data("\(Self.format)\n\(seq)\n\(hash)\n\(at.millisecondsSince1970)".utf8)
    }

    /// One line to keep elsewhere: `noroshi audit verify --head` takes it back.
    public var line: String {
        "\(Self.format) seq=\(seq) at=\(RFC3339.string(from: at)) hash=\(hash) key=\(publicKey) signature=\(signature)"
    }

    init(seq: Int64, hash: String, at: Date, key: Curve25519.Signing.PrivateKey) throws {
        self.seq = seq
        self.hash = hash
        self.at = at
        self.publicKey = key.publicKey.rawRepresentation.base64EncodedString()
        self.signature = ""
        self.signature = try key.signature(for: signedBytes).base64EncodedString()
    }

    init(_ row: Row) {
        seq = row["seq"]
        hash = row["hash"]
        at = Rows.date(row["at"])
        publicKey = row["public_key"]
        signature = row["signature"]
    }

    /// Reads a line that ``line`` wrote (anywhere in `text`, so a chat message pasted whole works too).
    public init?(line text: String) {
        guard let start = text.range(of: Self.format + " ") else { return nil }
        var fields: [String: String] = [:]
        for part in text[start.upperBound...].split(whereSeparator: \.isWhitespace) {
            guard let equals = part.firstIndex(of: "=") else { break }
            fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        guard let seqText = fields["seq"], let seq = Int64(seqText), let hash = fields["hash"], hash.count == 64,
            let atText = fields["at"], let at = RFC3339.date(from: atText), let key = fields["key"],
            let signature = fields["signature"]
        else { return nil }
        self.seq = seq
        self.hash = hash
        self.at = at
        self.publicKey = key
        self.signature = signature
    }

    /// Whether the signature is good and made by `publicKey` (base64; nil: by the key the head names).
    public func isSigned(by publicKey: String? = nil) -> Bool {
        guard publicKey == nil || publicKey == self.publicKey,
            let raw = Data(base64Encoded: self.publicKey), let signature = Data(base64Encoded: signature),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { return false }
        return key.isValidSignature(signature, for: signedBytes)
    }
}

/// Which audit rows to show.
public struct AuditFilter: Sendable, Hashable {
    /// An incident's number: rows about it, and rows that name it in their change (a merge, a move).
    public var incident: String?
    /// A token's name, or who acted at the console.
    public var actor: String?
    public var since: Date?
    public var action: String?
    public var limit = 1000

    public init(incident: String? = nil, actor: String? = nil, since: Date? = nil, action: String? = nil) {
        self.incident = incident
        self.actor = actor
        self.since = since
        self.action = action
    }
}

/// What `noroshi audit verify` found.
public struct AuditVerification: Sendable, Hashable, Codable {
    /// One thing that is wrong, at the first row it concerns.
    public struct Problem: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            case edited, deleted, reordered
            case cutOff = "cut_off"
            case rewritten
            case badSignature = "bad_signature"
            case unknownKey = "unknown_key"
        }
        public var seq: Int64
        public var kind: Kind
        public var message: String
    }

    /// The number of rows in the log, and the last row's number.
    public var rows: Int64
    public var lastSeq: Int64
    public var checkpoints: Int
    /// The newest checkpoint, if any.
    public var lastCheckpoint: AuditHead?
    /// The public key the signatures were checked against (base64), or nil when there was none to check with.
    public var trustedKey: String?
    /// Problems, first row first; empty when the log is intact.
    public var problems: [Problem]

    public var isIntact: Bool { problems.isEmpty }

    enum CodingKeys: String, CodingKey {
        case rows, checkpoints, problems
        case lastSeq = "last_seq"
        case lastCheckpoint = "last_checkpoint"
        case trustedKey = "trusted_key"
    }
}

extension Store {
    /// Appends one audit row in a transaction of its own, for changes made outside the store's other writes
    /// (the configuration the daemon loaded).
    public func audit(
        _ action: AuditAction, subject: String, change: [String: AuditValue], by actor: Principal
    ) async throws(NoroshiError) {
        let now = clock.now()
        _ = try await write { db in
            try AuditLog.append(action, subject: subject, change: change, by: actor, at: now, in: db)
        }
    }

    /// Signs the head of the audit log, unless the last checkpoint already signed it; makes the signing key on
    /// first use. Returns the new head, or nil when nothing was written since the last one.
    ///
    /// Each of `witnessRooms` gets the head as a chat message, queued in the same transaction, so that a copy
    /// lives outside this server: someone who rewrites the log and signs it again cannot change those.
    public func checkpointAudit(witnessRooms: [String] = []) async throws(NoroshiError) -> AuditHead? {
        let secret = try AuditKey.loadOrCreate(directory: directory).rawRepresentation
        let now = Rows.date(clock.now().millisecondsSince1970)
        return try await write { db in
            guard let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            else { return nil }
            let seq: Int64 = head["seq"]
            let signed = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit_checkpoint")
            if let signed, signed >= seq { return nil }
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: secret)
            let checkpoint = try AuditHead(seq: seq, hash: head["hash"], at: now, key: key)
            try db.execute(
                sql: "INSERT INTO audit_checkpoint (seq, hash, at, public_key, signature) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    checkpoint.seq, checkpoint.hash, now.millisecondsSince1970, checkpoint.publicKey,
                    checkpoint.signature,
                ])
            let summary = Summary.auditWitness(line: checkpoint.line, seq: checkpoint.seq)
            let json = String(decoding: try JSONEncoder.noroshi().encode(summary), as: UTF8.self)
            for room in witnessRooms {
                // Frozen now and ready at once: delivery sends a message that has its summary as it is.
                try db.execute(
                    sql: """
                        INSERT INTO outbox (room, incident_id, reasons, state, created_at, ready_at, summary)
                        VALUES (?, NULL, ?, 'sending', ?, ?, ?)
                        """,
                    arguments: [
                        room, Summary.Reason.auditHead.rawValue, now.millisecondsSince1970, now.millisecondsSince1970,
                        json,
                    ])
            }
            return checkpoint
        }
    }

    /// The newest signed head, or nil before the first checkpoint.
    public func auditHead() async throws(NoroshiError) -> AuditHead? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoint ORDER BY seq DESC LIMIT 1").map(AuditHead.init)
        }
    }

    /// The number of the newest audit row (0 when there is none).
    public func auditSequence() async throws(NoroshiError) -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit") ?? 0 }
    }

    /// Audit rows, oldest first, as `filter` selects them (the newest `filter.limit` of them).
    public func auditEntries(_ filter: AuditFilter) async throws(NoroshiError) -> [AuditEntry] {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let incident = filter.incident {
                conditions.append("(incident = ? OR instr(change, ?) > 0)")
                arguments += [incident, "\"\(incident)\""]
            }
            if let actor = filter.actor {
                conditions.append("actor = ?")
                arguments += [actor]
            }
            if let since = filter.since {
                conditions.append("at >= ?")
                arguments += [since.millisecondsSince1970]
            }
            if let action = filter.action {
                conditions.append("(action = ? OR action LIKE ?)")
                arguments += [action, action + ".%"]
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [filter.limit]
            return try Row.fetchAll(
                db, sql: "SELECT * FROM (SELECT * FROM audit \(whereClause) ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                arguments: arguments
            ).map(AuditEntry.init)
        }
    }

    /// Recomputes the chain and checks every checkpoint's signature against `trustedKey` (base64; nil: the data
    /// directory's key), and, when given, a head kept elsewhere. Names the first row that was edited, deleted,
    /// moved, or cut off before a signed head.
    public func verifyAudit(trustedKey: String? = nil, head kept: AuditHead? = nil) async throws(NoroshiError)
        -> AuditVerification
    {
        var key = trustedKey
        if key == nil {
            key = try AuditKey.load(directory: directory)?.publicKey.rawRepresentation.base64EncodedString()
        }
        let trusted = key
        return try await read { db in
            var checkpoints = try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint ORDER BY seq").map(
                AuditHead.init)
            let signedHeads = checkpoints
            if let kept { checkpoints.append(kept) }
            let wanted = Set(checkpoints.map(\.seq))
            var hashes: [Int64: String] = [:]
            var problems: [AuditVerification.Problem] = []
            var previous = AuditLog.genesis
            var expected: Int64 = 1
            var rows: Int64 = 0
            var intact = true
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY seq")
            while let row = try cursor.next() {
                let entry = AuditEntry(row)
                rows += 1
                if intact {
                    if entry.seq != expected {
                        let gap =
                            entry.seq - 1 == expected ? "Row \(expected) is" : "Rows \(expected)–\(entry.seq - 1) are"
                        problems.append(.init(seq: expected, kind: .deleted, message: "\(gap) missing: deleted."))
                        intact = false
                    } else if AuditLog.hash(previous: previous, entry.canonicalBytes()) != entry.hash {
                        problems.append(try Self.diagnose(entry, in: db))
                        intact = false
                    }
                }
                if wanted.contains(entry.seq) { hashes[entry.seq] = entry.hash }
                previous = entry.hash
                expected = entry.seq + 1
            }
            let lastSeq = expected - 1
            var lastSigned: Int64 = 0
            for checkpoint in checkpoints {
                let what =
                    checkpoint == kept && !signedHeads.contains(checkpoint)
                    ? "The head kept elsewhere (signed \(RFC3339.string(from: checkpoint.at)))"
                    : "The checkpoint of \(RFC3339.string(from: checkpoint.at))"
                if let trusted, checkpoint.publicKey != trusted {
                    problems.append(
                        .init(
                            seq: checkpoint.seq, kind: .unknownKey,
                            message:
                                "\(what), for row \(checkpoint.seq), was signed by another key (\(checkpoint.publicKey))."
                        ))
                } else if !checkpoint.isSigned() {
                    problems.append(
                        .init(
                            seq: checkpoint.seq, kind: .badSignature,
                            message: "\(what), for row \(checkpoint.seq), has a wrong signature."))
                } else if checkpoint.seq > lastSeq {
                    let rowsMissing =
                        checkpoint.seq == lastSeq + 1
                        ? "row \(checkpoint.seq) is" : "rows \(lastSeq + 1)–\(checkpoint.seq) are"
                    problems.append(
                        .init(
                            seq: lastSeq + 1, kind: .cutOff,
                            message: "The log ends at row \(lastSeq), but \(what.lowercasedFirst) signed row "
                                + "\(checkpoint.seq): \(rowsMissing) missing, cut off."))
                } else if let hash = hashes[checkpoint.seq], hash != checkpoint.hash {
                    let from = min(lastSigned, checkpoint.seq - 1) + 1
                    problems.append(
                        .init(
                            seq: from, kind: .rewritten,
                            message: "Row \(checkpoint.seq) no longer has the hash that \(what.lowercasedFirst) "
                                + "signed: rows \(from)–\(checkpoint.seq) were rewritten."))
                }
                if signedHeads.contains(checkpoint) { lastSigned = max(lastSigned, checkpoint.seq) }
            }
            problems.sort { ($0.seq, $0.kind.rawValue) < ($1.seq, $1.kind.rawValue) }
            return AuditVerification(
                rows: rows, lastSeq: lastSeq, checkpoints: signedHeads.count, lastCheckpoint: signedHeads.last,
                trustedKey: trusted, problems: problems)
        }
    }

    /// Why `entry` does not match its hash: it belongs elsewhere in the log (its hash matches another place
    /// among its neighbours), or it was edited.
    private static func diagnose(_ entry: AuditEntry, in db: Database) throws
        -> AuditVerification.Problem
    {
        let neighbours = try Row.fetchAll(
            db, sql: "SELECT * FROM audit WHERE seq BETWEEN ? AND ? ORDER BY seq",
            arguments: [entry.seq - 32, entry.seq + 32]
        ).map(AuditEntry.init)
        let predecessors = [AuditLog.genesis] + neighbours.map(\.hash)
        for place in neighbours.map(\.seq) + [neighbours.first.map { $0.seq - 1 } ?? 0] where place != entry.seq {
            let bytes = entry.canonicalBytes(seq: place)
            if predecessors.contains(where: { AuditLog.hash(previous: $0, bytes) == entry.hash }) {
                return .init(
                    seq: entry.seq, kind: .reordered,
                    message: "Row \(entry.seq) holds the entry written as row \(place): rows were reordered.")
            }
        }
        return .init(
            seq: entry.seq, kind: .edited,
            message: "Row \(entry.seq) (\(entry.action) \(entry.subject)) does not match its hash: it was edited, "
                + "or an entry before it was removed.")
    }
}

extension String {
    fileprivate var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
}
