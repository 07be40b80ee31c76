import Crypto
import Foundation
import GRDB
import NoroshiCore

/// What an audit row says happened.
public enum AuditAction: String, Sendable, Hashable, Codable, CaseIterable {
    case reportAccepted = "report.accepted"
    case reportFilled = "report.filled"
    case photoStored = "photo.stored"
    case previewStored = "photo.preview_stored"
    case incidentChanged = "incident.changed"
    case countsChanged = "incident.counts_changed"
    case reportLinked = "report.linked"
    case reportUnlinked = "report.unlinked"
    case incidentMerged = "incident.merged"
    case sokuhoIssued = "sokuho.issued"
    case tokenCreated = "token.created"
    case tokenRevoked = "token.revoked"
    case signedIn = "session.signed_in"
    case signedOut = "session.signed_out"
    case outboxRetried = "outbox.retried"
    case outboxDropped = "outbox.dropped"
    case configurationLoaded = "configuration.loaded"
}

/// A value in an audit row's change, written as canonical JSON: keys sorted, no spaces, strings escaped
/// one way only, so that the same change always gives the same bytes.
public indirect enum AuditValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByDictionaryLiteral
{
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case object([String: AuditValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(dictionaryLiteral elements: (String, AuditValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public static func of(_ value: String?) -> AuditValue { value.map(AuditValue.string) ?? .null }
    public static func of(_ value: Int?) -> AuditValue { value.map { .int(Int64($0)) } ?? .null }
    public static func of(_ value: Int64?) -> AuditValue { value.map(AuditValue.int) ?? .null }
    public static func of(_ value: Double?) -> AuditValue { value.map(AuditValue.double) ?? .null }
    /// A time, in RFC 3339 with milliseconds in UTC.
    public static func of(_ value: Date?) -> AuditValue { value.map { .string(RFC3339.string(from: $0)) } ?? .null }

    /// Damage counts as an object of the counts that were given.
    static func of(_ counts: some DamageCounts) -> AuditValue {
        var object: [String: AuditValue] = [:]
        for field in type(of: counts).fields {
            if let value = counts[keyPath: field.path] { object[field.key] = .of(value) }
        }
        return .object(object)
    }

    /// The canonical JSON text.
    public var json: String {
        var bytes: [UInt8] = []
        write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    func write(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes += "null".utf8
        case .bool(let value): bytes += (value ? "true" : "false").utf8
        case .int(let value): bytes += String(value).utf8
        case .double(let value):
            var text = value.isFinite ? value.description : "null"
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes += text.utf8
        case .string(let value): Self.write(string: value, to: &bytes)
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.write(string: key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                members[key]!.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, everything else as its UTF-8 bytes.
    static func write(string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [0x5C, 0x22]
            case UInt8(ascii: "\\"): bytes += [0x5C, 0x5C]
            case 0..<0x20, 0x7F:
                bytes += Array("\\u00".utf8)
                bytes += Array(String(format: "%02x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// One row of the audit log, as stored.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var seq: Int64
    public var at: Date
    public var actor: String
    public var actorTokenID: Int64?
    public var action: String
    public var subject: String
    /// The incident the change belongs to, by number, when it belongs to one.
    public var incident: String?
    /// The change, as canonical JSON.
    public var change: String
    /// SHA-256 over the previous row's hash and this row's canonical bytes.
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, at, actor, action, subject, incident, change, hash
        case actorTokenID = "actor_token_id"
    }

    init(
        seq: Int64, at: Date, actor: String, actorTokenID: Int64?, action: String, subject: String, incident: String?,
        change: String, hash: String
    ) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.actorTokenID = actorTokenID
        self.action = action
        self.subject = subject
        self.incident = incident
        self.change = change
        self.hash = hash
    }

    init(_ row: Row) {
        seq = row["seq"]
        at = Rows.date(row["at"])
        actor = row["actor"]
        actorTokenID = row["actor_token_id"]
        action = row["action"]
        subject = row["subject"]
        incident = row["incident"]
        change = row["change"]
        hash = row["hash"]
    }

    /// The bytes the row's hash covers (after the previous row's hash), as canonical JSON of every column but
    /// the hash. `seq` is one of them, so a row moved to another place in the log no longer matches.
    func canonicalBytes(seq: Int64? = nil) -> [UInt8] {
        let fields: [String: AuditValue] = [
            "seq": .int(seq ?? self.seq), "at": .int(at.millisecondsSince1970), "actor": .string(actor),
            "actor_token_id": .of(actorTokenID), "action": .string(action), "subject": .string(subject),
            "incident": .of(incident),
        ]
        var bytes: [UInt8] = []
        AuditValue.object(fields).write(to: &bytes)
        // The change is already canonical JSON; it is appended as stored, byte for byte.
        bytes.removeLast()
        bytes += ",\"change\":".utf8
        bytes += change.utf8
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

/// The audit log: one row per change, written in the change's own transaction and chained by SHA-256.
///
/// Row n's hash is SHA-256 of row n−1's hash (64 hex digits; 64 zeros for the first row), a newline, and
/// row n's canonical bytes (see ``AuditEntry/canonicalBytes(seq:)``). A checkpoint signs the head's hash
/// with the data directory's Ed25519 key (``AuditKey``), so that a rewritten chain no longer matches it.
enum AuditLog {
    static let genesis = String(repeating: "0", count: 64)

    static func hash(previous: String, _ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(previous.utf8) + [0x0A])
        hasher.update(data: bytes)
        return hasher.finalize().hexEncoded
    }

    /// Appends one row; must run inside the transaction of the change it records.
    @discardableResult
    static func append(
        _ action: AuditAction,
        subject: String,
        incident: String? = nil,
        change: [String: AuditValue],
        by principal: Principal,
        at now: Date,
        in db: Database
    ) throws -> Int64 {
        let head = try db.cachedRow(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        let previous: String = head?["hash"] ?? genesis
        let seq: Int64 = (head?["seq"] ?? 0) + 1
        var entry = AuditEntry(
            seq: seq, at: Rows.date(now.millisecondsSince1970), actor: principal.name,
            actorTokenID: principal.tokenID, action: action.rawValue, subject: subject, incident: incident,
            change: AuditValue.object(change).json, hash: "")
        entry.hash = hash(previous: previous, entry.canonicalBytes())
        try db.executeCached(
            sql: """
                INSERT INTO audit (seq, at, actor_token_id, actor, action, subject, incident, change, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                seq, entry.at.millisecondsSince1970, entry.actorTokenID, entry.actor, entry.action, entry.subject,
                entry.incident, entry.change, entry.hash,
            ])
        return seq
    }

    /// The incident's number, for rows about an incident known by id.
    static func number(ofIncident id: Int64, in db: Database) throws -> String {
        try db.cachedValue(String.self, sql: "SELECT number FROM incident WHERE id = ?", arguments: [id]) ?? "?"
    }

    /// What incidents look like after a change, by number, as far as people change them: status, severity,
    /// title, and where each was merged. Every row of a change that can alter these carries them, under
    /// `incidents`; `noroshi check` compares each incident as stored with the last state recorded for it.
    static func incidentStates(_ incidents: [Incident]) -> AuditValue {
        var states: [String: AuditValue] = [:]
        for incident in incidents {
            states[incident.number] = [
                "status": .string(incident.status.rawValue), "severity": .of(incident.severity),
                "title": .string(incident.title), "merged_into": .of(incident.mergedInto),
            ]
        }
        return .object(states)
    }

    /// The states of incidents known by id, read in the transaction of the change.
    static func incidentStates(ids: [Int64], in db: Database) throws -> AuditValue {
        incidentStates(try ids.map { try Rows.fetchIncident(db, id: $0) })
    }

    /// What a report said when it was accepted: the fields nobody changes afterwards, plus its position and
    /// time (which only a photo's EXIF fills later, in a `report.filled` row).
    static func reportEvidence(_ report: Report) -> AuditValue {
        [
            "id": .int(report.id), "client_key": .string(report.clientKey), "kind": .string(report.kind.rawValue),
            "text": .string(report.text), "latitude": .of(report.latitude), "longitude": .of(report.longitude),
            "accuracy": .of(report.accuracy), "place": .of(report.place), "unit": .of(report.unit),
            "reporter": .of(report.reporter), "casualties": .of(report.casualties), "homes": .of(report.homes),
            "exercise": .bool(report.exercise), "observed_at": .of(report.observedAt),
            "received_at": .of(report.receivedAt), "submitted_by": .string(report.submittedBy),
        ]
    }
}

extension Principal {
    /// Someone at the server's console, named by the Unix user that ran the command (`console (root)`).
    public static var console: Principal {
        var name = "console"
        if let entry = getpwuid(geteuid()), let user = entry.pointee.pw_name { name += " (\(String(cString: user)))" }
        return Principal(tokenID: nil, name: name)
    }
}
