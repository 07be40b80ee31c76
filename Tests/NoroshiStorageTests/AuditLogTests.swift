import Crypto
import Foundation
import GRDB
import NoroshiCore
import Testing

@testable import NoroshiStorage

/// The audit log: one row per change in the change's transaction, chained by SHA-256, signed at checkpoints; and
/// `verifyAudit` naming the first row that someone with the database file changed.
@Suite struct AuditLogTests {
    /// A store with a few changes of different kinds, signed at the end.
    static func populated(_ fixture: StoreFixture) async throws -> AuditHead {
        let store = fixture.store
        let (token, secret) = try await store.createToken(name: "Hida FD", role: .field, by: "console (ops)")
        let receipt = try await store.submit(
            ReportSubmission(
                clientKey: "k1", kind: "fire", latitude: 36.2381, longitude: 137.1860, text: "Smoke from a barn roof"),
            by: token.name, tokenID: token.id)
        let number = receipt.incident.number
        fixture.clock.advance(by: 60)
        try await fixture.submit("k2", text: "Flames visible")
        fixture.clock.advance(by: 60)
        _ = try await store.change(number, IncidentChange(status: .responding, severity: 3), by: "HQ desk")
        _ = try await store.attachPhoto(
            Photo(sha256: String(repeating: "ab", count: 32), bytes: 100, width: 160, height: 120, receivedAt: Date()),
            toReport: receipt.report.id, by: token.principal)
        _ = try await store.issueSokuho(number, situation: "延焼中", by: "HQ desk")
        let session = try #require(try await store.openSession(tokenSecret: secret))
        try await store.endSession(secret: session.secret)
        _ = try await store.revokeToken(id: token.id, by: "console (ops)")
        return try #require(try await store.checkpointAudit())
    }

    static func database(_ fixture: StoreFixture) throws -> DatabaseQueue {
        try DatabaseQueue(path: fixture.directory.url.appendingPathComponent(Store.databaseFileName).path)
    }

    @Test func everyChangeLeavesOneRowNamingWhoMadeIt() async throws {
        try await StoreFixture.with { fixture in
            let head = try await Self.populated(fixture)
            let entries = try await fixture.store.auditEntries(AuditFilter())
            #expect(
                entries.map(\.action) == [
                    "token.created", "report.accepted", "report.accepted", "incident.changed", "photo.stored",
                    "sokuho.issued", "session.signed_in", "session.signed_out", "token.revoked",
                ])
            #expect(entries.map(\.seq) == Array(1...9))
            #expect(head.seq == 9 && head.hash == entries.last?.hash)
            #expect(entries[0].actor == "console (ops)" && entries[0].actorTokenID == nil)
            #expect(entries[1].actor == "Hida FD" && entries[1].actorTokenID == 1)
            #expect(entries[1].change.contains("\"text\":\"Smoke from a barn roof\""))
            #expect(entries[3].actor == "HQ desk")
            #expect(entries[3].change.contains("\"set\":{\"severity\":3,\"status\":\"responding\"}"))
            #expect(entries[4].actorTokenID == 1 && entries[6].actorTokenID == 1)
            // A change that fails leaves no row: it was not made.
            await #expect(throws: NoroshiError.self) {
                _ = try await fixture.store.change(entries[1].incident!, IncidentChange(severity: 9), by: "HQ desk")
            }
            #expect(try await fixture.store.auditSequence() == 9)

            // Filters: by incident, by actor, by action family.
            let number = try #require(entries[1].incident)
            let ofIncident = try await fixture.store.auditEntries(AuditFilter(incident: number))
            #expect(ofIncident.map(\.seq) == [2, 3, 4, 5, 6])
            #expect(try await fixture.store.auditEntries(AuditFilter(actor: "HQ desk")).map(\.seq) == [4, 6])
            #expect(try await fixture.store.auditEntries(AuditFilter(action: "session")).map(\.seq) == [7, 8])

            let verification = try await fixture.store.verifyAudit()
            #expect(verification.isIntact, "\(verification.problems)")
            #expect(verification.rows == 9 && verification.checkpoints == 1)
            #expect(verification.trustedKey == head.publicKey)
            // Nothing new: no second checkpoint.
            #expect(try await fixture.store.checkpointAudit() == nil)
        }
    }

    @Test func theSigningKeyIsTheDaemonUsersAloneAndSignsHeads() async throws {
        try await StoreFixture.with { fixture in
            let head = try await Self.populated(fixture)
            let path = fixture.directory.url.appendingPathComponent(AuditKey.fileName).path
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(mode == 0o600)
            #expect(head.isSigned())
            let parsed = try #require(AuditHead(line: "kept on a USB stick: " + head.line))
            #expect(parsed == head && parsed.isSigned())
            var forged = head
            forged.seq += 1
            #expect(!forged.isSigned())
        }
    }

    /// Runs `tamper` on the database file of a populated store and returns what verification finds.
    static func verify(
        after tamper: String, trustedKey: String? = nil, head: AuditHead? = nil
    ) async throws -> AuditVerification {
        var result: AuditVerification?
        try await StoreFixture.with { fixture in
            _ = try await populated(fixture)
            try await database(fixture).write { db in try db.execute(sql: tamper) }
            result = try await fixture.store.verifyAudit(trustedKey: trustedKey, head: head)
        }
        return try #require(result)
    }

    @Test func anEditedRowIsNamed() async throws {
        let result = try await Self.verify(
            after: "UPDATE audit SET change = replace(change, 'Flames visible', 'Nothing seen') WHERE seq = 3")
        #expect(result.problems.first?.seq == 3)
        #expect(result.problems.first?.kind == .edited)
        #expect(result.problems.first?.message.contains("Row 3 (report.accepted report 2)") == true)
    }

    @Test func aDeletedRowIsNamed() async throws {
        let result = try await Self.verify(after: "DELETE FROM audit WHERE seq = 5")
        #expect(result.problems.first?.seq == 5)
        #expect(result.problems.first?.kind == .deleted)
    }

    @Test func twoSwappedRowsAreNamed() async throws {
        let result = try await Self.verify(
            after: """
                UPDATE audit SET seq = -1 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 5;
                UPDATE audit SET seq = 5 WHERE seq = -1;
                """)
        #expect(result.problems.first?.seq == 4)
        #expect(result.problems.first?.kind == .reordered)
        #expect(result.problems.first?.message == "Row 4 holds the entry written as row 5: rows were reordered.")
    }

    @Test func aTailCutOffBeforeTheSignedHeadIsNamed() async throws {
        let result = try await Self.verify(after: "DELETE FROM audit WHERE seq >= 7")
        #expect(result.problems.first?.seq == 7)
        #expect(result.problems.first?.kind == .cutOff)
        #expect(result.problems.first?.message.contains("rows 7–9 are missing, cut off") == true)
    }

    @Test func aWrongSignatureIsNamed() async throws {
        let result = try await Self.verify(
            after: "UPDATE audit_checkpoint SET signature = 'AAAA' || substr(signature, 5)")
        #expect(result.problems.map(\.kind) == [.badSignature])
        #expect(result.problems.first?.seq == 9)
    }

    /// Someone who edits a row and computes every later hash again keeps the chain whole, but no longer matches
    /// the head the key signed.
    @Test func aRehashedChainNoLongerMatchesItsSignedHead() async throws {
        var result: AuditVerification?
        try await StoreFixture.with { fixture in
            _ = try await Self.populated(fixture)
            try await Self.database(fixture).write { db in
                try db.execute(
                    sql: "UPDATE audit SET change = replace(change, 'Smoke from', 'Steam from') WHERE seq = 2")
                var previous = AuditLog.genesis
                for row in try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq") {
                    var entry = AuditEntry(row)
                    entry.hash = AuditLog.hash(previous: previous, entry.canonicalBytes())
                    try db.execute(sql: "UPDATE audit SET hash = ? WHERE seq = ?", arguments: [entry.hash, entry.seq])
                    previous = entry.hash
                }
            }
            result = try await fixture.store.verifyAudit()
        }
        let problem = try #require(result?.problems.first)
        #expect(problem.kind == .rewritten && problem.seq == 1)
        #expect(problem.message.contains("rows 1–9 were rewritten"))
    }

    /// A tail cut after the newest checkpoint leaves a consistent log; a head kept elsewhere (a witness room's
    /// message) finds it. A checkpoint made with another key is not trusted.
    @Test func aHeadKeptElsewhereFindsWhatTheFileAloneCannot() async throws {
        try await StoreFixture.with { fixture in
            _ = try await Self.populated(fixture)
            try await fixture.submit("k3", text: "Fire out")
            let kept = try #require(try await fixture.store.checkpointAudit())
            #expect(kept.seq == 10)
            try await Self.database(fixture).write { db in
                try db.execute(sql: "DELETE FROM audit WHERE seq = 10; DELETE FROM audit_checkpoint WHERE seq = 10")
            }
            #expect(try await fixture.store.verifyAudit().isIntact)
            let found = try await fixture.store.verifyAudit(head: kept)
            #expect(found.problems.map(\.kind) == [.cutOff])
            #expect(found.problems.first?.message.contains("the head kept elsewhere") == true)

            let stranger = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
            let foreign = try await fixture.store.verifyAudit(trustedKey: stranger)
            #expect(foreign.problems.map(\.kind) == [.unknownKey])
        }
    }

    @Test func changesAreCanonicalJSON() {
        let value: AuditValue = [
            "b": "line\nbreak \"quoted\" \u{7}", "a": .int(-3), "c": .double(2.5), "d": .double(3), "e": .null,
            "f": ["y": true, "x": "煙"],
        ]
        #expect(
            value.json
                == #"{"a":-3,"b":"line\u000abreak \"quoted\" \u0007","c":2.5,"d":3,"e":null,"f":{"x":"煙","y":true}}"#)
    }

    /// The data as stored against what the audit log recorded: clean, then each kind of change made behind
    /// Noroshi's back named.
    @Test(arguments: [
        (
            "UPDATE report SET text = 'Nothing seen' WHERE client_key = 'k2'",
            "Report 2: text is “Nothing seen” in the database but “Flames visible” in the audit log (row 3)."
        ),
        (
            "UPDATE report SET latitude = 35.0 WHERE id = 1",
            "Report 1: latitude is 35 in the database but 36.2381 in the audit log (row 2)."
        ),
        (
            "DELETE FROM report WHERE id = 2",
            "Report 2, recorded in audit row 3, is missing from the database: deleted."
        ),
        (
            """
            INSERT INTO report (client_key, fingerprint, incident_id, kind, text, exercise, observed_at, received_at,
                link_mode, submitted_by) SELECT 'x', 'x', 1, 'fire', 'Invented', 0, received_at, received_at + 1,
                'automatic', 'nobody' FROM report WHERE id = 2
            """,
            "Report 3 has no audit row: it was written into the database outside Noroshi."
        ),
        (
            "UPDATE incident SET status = 'closed' WHERE id = 1",
            "status is “closed” in the database but “responding” in the audit log (row 4)."
        ),
        (
            "DELETE FROM report_photo",
            "on report 1, recorded in audit row 5, is no longer on that report: removed."
        ),
    ])
    func dataChangedBehindNoroshisBackIsNamed(tamper: String, message: String) async throws {
        try await StoreFixture.with { fixture in
            _ = try await Self.populated(fixture)
            let clean = try await fixture.store.checkEvidence()
            #expect(clean.problems.isEmpty, "\(clean.problems)")
            #expect(clean.reports == 2 && clean.photoLinks == 1 && clean.incidents == 1)
            try await Self.database(fixture).writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: tamper)
            }
            let found = try await fixture.store.checkEvidence()
            #expect(found.problems.contains { $0.hasSuffix(message) }, "\(found.problems)")
        }
    }

    @Test func aTitleSomeoneGaveIsEvidenceAndLinkingRecordsBothIncidents() async throws {
        try await StoreFixture.with { fixture in
            let first = try await fixture.submit("a", at: (36.2381, 137.1860))
            let second = try await fixture.submit("b", at: (36.2381, 137.1860))
            _ = try await fixture.store.unlink(reportID: second.report.id, by: "HQ")
            _ = try await fixture.store.change(first.incident.number, IncidentChange(title: "Barn fire"), by: "HQ")
            #expect(try await fixture.store.checkEvidence().problems.isEmpty)
            try await Self.database(fixture).write { db in
                try db.execute(sql: "UPDATE incident SET title = 'Nothing' WHERE id = 1")
            }
            let found = try await fixture.store.checkEvidence()
            #expect(found.problems.count == 1)
            #expect(found.problems.first?.contains("title is “Nothing” in the database but “Barn fire”") == true)
        }
    }
}
