import GRDB
import NoroshiCore
import NoroshiPlaces

/// The database schema, as an ordered list of migrations. Never edit a shipped migration; add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: incidents, reports, timeline, tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE incident (
                        id INTEGER PRIMARY KEY,
                        number TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        title TEXT NOT NULL,
                        status TEXT NOT NULL,
                        severity INTEGER,
                        exercise INTEGER NOT NULL,
                        is_open INTEGER NOT NULL,
                        center_lat REAL,
                        center_lon REAL,
                        min_lat REAL, max_lat REAL, min_lon REAL, max_lon REAL,
                        located_count INTEGER NOT NULL DEFAULT 0,
                        report_count INTEGER NOT NULL DEFAULT 0,
                        place TEXT,
                        dead INTEGER, missing INTEGER, injured INTEGER,
                        casualties_at INTEGER,
                        opened_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        last_activity_at INTEGER NOT NULL,
                        status_changed_at INTEGER NOT NULL,
                        closed_at INTEGER,
                        merged_into_id INTEGER REFERENCES incident(id)
                    );
                    -- The linker's search: open incidents of one kind and flag, narrowed by latitude band.
                    CREATE INDEX incident_linking ON incident(kind, exercise, center_lat) WHERE is_open = 1;
                    CREATE INDEX incident_activity ON incident(last_activity_at);
                    CREATE INDEX incident_merged_into ON incident(merged_into_id) WHERE merged_into_id IS NOT NULL;

                    CREATE TABLE incident_sequence (
                        prefix TEXT NOT NULL,
                        year INTEGER NOT NULL,
                        last INTEGER NOT NULL,
                        PRIMARY KEY (prefix, year)
                    ) WITHOUT ROWID;

                    CREATE TABLE report (
                        id INTEGER PRIMARY KEY,
                        client_key TEXT NOT NULL UNIQUE,
                        fingerprint TEXT NOT NULL,
                        incident_id INTEGER NOT NULL REFERENCES incident(id),
                        kind TEXT NOT NULL,
                        latitude REAL,
                        longitude REAL,
                        accuracy REAL,
                        place TEXT,
                        text TEXT NOT NULL,
                        unit TEXT,
                        reporter TEXT,
                        dead INTEGER, missing INTEGER, injured INTEGER,
                        exercise INTEGER NOT NULL,
                        observed_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        link_mode TEXT NOT NULL,
                        submitted_by TEXT NOT NULL
                    );
                    CREATE INDEX report_incident ON report(incident_id, observed_at);

                    CREATE TABLE timeline_event (
                        id INTEGER PRIMARY KEY,
                        incident_id INTEGER NOT NULL REFERENCES incident(id),
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        message TEXT NOT NULL,
                        report_id INTEGER REFERENCES report(id)
                    );
                    CREATE INDEX timeline_incident ON timeline_event(incident_id, id);

                    CREATE TABLE token (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        hash TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    """
            )
        }
        migrator.registerMigration("v2: covering index for linking") { db in
            // The linker reads id, status, centre and last activity of the open incidents in a latitude band.
            // With every column it reads in the index (is_open too, or SQLite does not see the index as
            // covering), the band is filtered and answered without visiting the table. The HTTP benchmark
            // over 20 s (about 100,000 open incidents at the end) went from 4,600 to 5,300 reports/s.
            try db.execute(
                sql: """
                    DROP INDEX incident_linking;
                    CREATE INDEX incident_linking
                        ON incident(kind, exercise, center_lat, center_lon, status, last_activity_at, is_open)
                        WHERE is_open = 1;
                    """
            )
        }
        migrator.registerMigration("v3: photos and their jobs") { db in
            try db.execute(
                sql: """
                    -- One row per distinct file (by SHA-256); the file itself lives under photos/ in the data directory.
                    CREATE TABLE photo (
                        sha256 TEXT PRIMARY KEY,
                        bytes INTEGER NOT NULL,
                        width INTEGER NOT NULL,
                        height INTEGER NOT NULL,
                        orientation INTEGER,
                        taken_at INTEGER,
                        taken_at_text TEXT,
                        latitude REAL,
                        longitude REAL,
                        altitude REAL,
                        make TEXT,
                        model TEXT,
                        exif_error TEXT,
                        received_at INTEGER NOT NULL,
                        derivatives TEXT NOT NULL,
                        chat_width INTEGER, chat_height INTEGER,
                        thumb_width INTEGER, thumb_height INTEGER,
                        derivative_error TEXT
                    ) WITHOUT ROWID;

                    CREATE TABLE report_photo (
                        report_id INTEGER NOT NULL REFERENCES report(id),
                        sha256 TEXT NOT NULL REFERENCES photo(sha256),
                        added_at INTEGER NOT NULL,
                        added_by TEXT NOT NULL,
                        PRIMARY KEY (report_id, sha256)
                    ) WITHOUT ROWID;
                    CREATE INDEX report_photo_sha256 ON report_photo(sha256);

                    -- Derivative jobs. A job is claimed by setting started_at and deleted when its copies
                    -- are written; at start-up every claimed job is released again (the daemon died in it).
                    CREATE TABLE photo_job (
                        sha256 TEXT PRIMARY KEY REFERENCES photo(sha256),
                        created_at INTEGER NOT NULL,
                        started_at INTEGER,
                        attempts INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v4: where a report's position and time came from") { db in
            // A photo's EXIF may fill a position or time the sender left out; these say which values
            // are the sender's. Reports stored before this migration did not record whether the time was
            // given: one equal to the time of receipt to the millisecond is taken as left out.
            try db.execute(
                sql: """
                    ALTER TABLE report ADD COLUMN position_source TEXT;
                    ALTER TABLE report ADD COLUMN observed_at_source TEXT NOT NULL DEFAULT 'sender';
                    UPDATE report SET position_source = 'sender' WHERE latitude IS NOT NULL;
                    UPDATE report SET observed_at_source = 'receipt' WHERE observed_at = received_at;
                    """
            )
        }
        migrator.registerMigration("v5: chat outbox") { db in
            // chat_event is written in the transaction of the change that causes a message (see
            // IncidentWriter.record); the delivery service routes events to rooms as outbox rows. An outbox
            // row still `queued` takes later changes of its incident for its room, so a room that is slow,
            // paced or down gets one message with the latest state instead of a backlog.
            try db.execute(
                sql: """
                    CREATE TABLE chat_event (
                        id INTEGER PRIMARY KEY,
                        incident_id INTEGER NOT NULL REFERENCES incident(id),
                        reason TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );

                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY,
                        room TEXT NOT NULL,
                        incident_id INTEGER REFERENCES incident(id),
                        reasons TEXT NOT NULL,
                        updates INTEGER NOT NULL DEFAULT 1,
                        new_photos INTEGER NOT NULL DEFAULT 0,
                        state TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        ready_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        summary TEXT,
                        last_error TEXT,
                        delivered_at INTEGER,
                        remote_id TEXT
                    );
                    CREATE INDEX outbox_pending ON outbox(room, id) WHERE state IN ('queued', 'sending');
                    CREATE INDEX outbox_state ON outbox(state, id);

                    -- Values that belong to this database; 'instance' makes Matrix transaction ids unique to it,
                    -- so a new data directory never reuses the ids of an old one with the same bot device.
                    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                    INSERT INTO setting (key, value) VALUES ('instance', lower(hex(randomblob(8))));
                    """
            )
        }
        migrator.registerMigration("v6: outbox coalescing index") { db in
            // Routing looks up the room's queued row of an incident for every chat event; without this it
            // scanned every pending row of the room, which made draining a large backlog quadratic.
            try db.execute(
                sql: "CREATE INDEX outbox_queued_incident ON outbox(room, incident_id) WHERE state = 'queued'")
        }
        migrator.registerMigration("v7: board sessions, the event stream, reports' tokens") { db in
            // session: a board sign-in. Only the SHA-256 of the cookie's random value is stored; a session
            // lives while its token is unrevoked and it has been used within the idle limit.
            // stream_event: what GET /v1/events sends, written in the transaction of the change; its id is the
            // SSE event id, so a client that reconnects with Last-Event-ID gets exactly what it missed.
            // report.token_id: which token sent a report, so a field sign-in sees the incidents its own
            // reports joined (reports stored before this migration have none).
            try db.execute(
                sql: """
                    CREATE TABLE session (
                        hash TEXT PRIMARY KEY,
                        token_id INTEGER NOT NULL REFERENCES token(id),
                        created_at INTEGER NOT NULL,
                        last_seen_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX session_token ON session(token_id);

                    CREATE TABLE stream_event (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        incident_id INTEGER,
                        report_id INTEGER,
                        sha256 TEXT,
                        outbox_id INTEGER
                    );
                    CREATE INDEX stream_event_at ON stream_event(at);

                    ALTER TABLE report ADD COLUMN token_id INTEGER;
                    CREATE INDEX report_token ON report(token_id, incident_id) WHERE token_id IS NOT NULL;
                    CREATE INDEX incident_opened ON incident(opened_at);
                    """
            )
        }
        migrator.registerMigration("v8: places") { db in
            // area_code: the 全国地方公共団体コード of the municipality a report's position lies in (NoroshiPlaces,
            // at intake); an incident's is its first located report's. Names come from the shipped place data
            // by code. title_is_default: the title is Noroshi's own (kind and place), which the board and chat
            // write in their language, and which follows the incident's area until HQ sets one.
            try db.execute(
                sql: """
                    ALTER TABLE report ADD COLUMN area_code TEXT;
                    ALTER TABLE incident ADD COLUMN area_code TEXT;
                    ALTER TABLE incident ADD COLUMN title_is_default INTEGER NOT NULL DEFAULT 0;
                    """
            )
            try Places.backfill(db)
        }
        migrator.registerMigration("v9: damage counts and headquarters") { db in
            // The FDMA forms' counts: 重傷 and 軽傷 besides dead, missing and injured, and 住家被害 in buildings.
            // NULL is unknown (never reported), which every output writes as 未確認, never as 0. count_set keeps
            // each count HQ set by hand, so that recomputing an incident from its reports (after a link, unlink
            // or merge) takes the latest of report and HQ for each count. hq_level / hq_since: 災害対策本部
            // 設置状況 as HQ recorded it (NULL: nothing recorded).
            var statements = ""
            for column in Casualties.fields.dropFirst(3).map(\.column) + HomeDamage.fields.map(\.column) {
                statements += "ALTER TABLE report ADD COLUMN \(column) INTEGER;\n"
                statements += "ALTER TABLE incident ADD COLUMN \(column) INTEGER;\n"
            }
            try db.execute(
                sql: statements + """
                    ALTER TABLE incident ADD COLUMN homes_at INTEGER;
                    ALTER TABLE incident ADD COLUMN hq_level TEXT;
                    ALTER TABLE incident ADD COLUMN hq_since INTEGER;
                    CREATE TABLE count_set (
                        id INTEGER PRIMARY KEY,
                        incident_id INTEGER NOT NULL REFERENCES incident(id),
                        field TEXT NOT NULL,
                        value INTEGER NOT NULL,
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL
                    );
                    CREATE INDEX count_set_incident ON count_set(incident_id, field, at);
                    """
            )
        }
        migrator.registerMigration("v10: sokuho") { db in
            // sokuho: each issued 即報 (第N報) as the JSON snapshot it was issued with. The triggers make the table
            // append-only: a correction is the next 報, never an edit. incident.sokuho_count / first_sokuho_at
            // serve the 30-minute rule; sokuho_reminded_at marks the reminder as sent. Incidents older than
            // this migration count as reminded, so an upgrade does not remind about every old incident at once.
            try db.execute(
                sql: """
                    CREATE TABLE sokuho (
                        id INTEGER PRIMARY KEY,
                        incident_id INTEGER NOT NULL REFERENCES incident(id),
                        sequence INTEGER NOT NULL,
                        issued_at INTEGER NOT NULL,
                        issued_by TEXT NOT NULL,
                        body TEXT NOT NULL,
                        UNIQUE (incident_id, sequence)
                    );
                    CREATE TRIGGER sokuho_never_updated BEFORE UPDATE ON sokuho
                        BEGIN SELECT RAISE(ABORT, 'an issued sokuho is never changed'); END;
                    CREATE TRIGGER sokuho_never_deleted BEFORE DELETE ON sokuho
                        BEGIN SELECT RAISE(ABORT, 'an issued sokuho is never deleted'); END;
                    ALTER TABLE incident ADD COLUMN sokuho_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE incident ADD COLUMN first_sokuho_at INTEGER;
                    ALTER TABLE incident ADD COLUMN sokuho_reminded_at INTEGER;
                    UPDATE incident SET sokuho_reminded_at = opened_at;
                    CREATE INDEX incident_sokuho_due ON incident(opened_at)
                        WHERE sokuho_count = 0 AND sokuho_reminded_at IS NULL;
                    """
            )
        }
        migrator.registerMigration("v11: resumable uploads") { db in
            // upload: a tus upload in progress. Its bytes are in photos/uploads/<id>; `received` counts the bytes
            // that are synced there (a longer file after a crash is cut back to it). A finished upload keeps its
            // row, with the photo it became, until it expires, so a client that lost the last answer learns the
            // outcome. Expired rows and their files are removed by the photo service. added_at: when the photo was
            // added on the device (creation less its wait in the device's queue), when the client said.
            try db.execute(
                sql: """
                    CREATE TABLE upload (
                        id TEXT PRIMARY KEY,
                        report_id INTEGER NOT NULL REFERENCES report(id),
                        file_name TEXT,
                        length INTEGER NOT NULL,
                        received INTEGER NOT NULL DEFAULT 0,
                        sha256 TEXT,
                        created_by TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        photo_sha256 TEXT,
                        photo_created INTEGER,
                        photo_filled TEXT,
                        added_at INTEGER
                    );
                    CREATE INDEX upload_expiry ON upload(expires_at);
                    CREATE INDEX upload_creator ON upload(created_by) WHERE photo_sha256 IS NULL;
                    """
            )
        }
        migrator.registerMigration("v12: previews") { db in
            // photo.preview_only: only the device's chat copy has arrived (the original's size and orientation are
            // as announced); cleared when the original comes. upload.preview: a resumable upload that carries a
            // preview, the PreviewClaim as JSON. photo.preview_width/height: the preview's size, kept so that the
            // original's own chat copy can be compared with it.
            try db.execute(
                sql: """
                    ALTER TABLE photo ADD COLUMN preview_only INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE photo ADD COLUMN preview_width INTEGER;
                    ALTER TABLE photo ADD COLUMN preview_height INTEGER;
                    ALTER TABLE upload ADD COLUMN preview TEXT;
                    """
            )
        }
        migrator.registerMigration("v13: token expiry and last use") { db in
            // token.expires_at: after this the token is refused (null: never). token.last_used_at: the last
            // request it authenticated, written at most once a minute per token.
            try db.execute(
                sql: """
                    ALTER TABLE token ADD COLUMN expires_at INTEGER;
                    ALTER TABLE token ADD COLUMN last_used_at INTEGER;
                    """
            )
        }
        migrator.registerMigration("v14: audit log") { db in
            // audit: one row per change, written in the change's transaction, each row's hash covering the
            // previous row's hash and its own canonical bytes (see AuditLog). audit_checkpoint: the head as
            // signed with the data directory's Ed25519 key at a moment; `noroshi audit verify` checks both.
            // Changes made before this migration have no rows: the log starts here.
            try db.execute(
                sql: """
                    CREATE TABLE audit (
                        seq INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        actor_token_id INTEGER,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        incident TEXT,
                        change TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX audit_incident ON audit(incident) WHERE incident IS NOT NULL;
                    CREATE TABLE audit_checkpoint (
                        seq INTEGER PRIMARY KEY,
                        hash TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        public_key TEXT NOT NULL,
                        signature TEXT NOT NULL
                    );
                    """
            )
        }
        return migrator
    }
}
