import Foundation
import GRDB
import Logging
import NoroshiCore
import NoroshiPlaces

/// The incident store: one SQLite file in WAL mode under the data directory.
///
/// Every change and the timeline event that records it are written in one transaction, with
/// `synchronous=FULL`, so that an acknowledged report survives a crash or a power loss. A ``Checkpointer``
/// moves pages from the log into the database file in the background, so no commit waits for that.
///
/// ```swift
/// let store = try Store(directory: dataDirectory, logger: logger)
/// let receipt = try await store.submit(submission, by: "Hida FD station 2")
/// ```
public final class Store: Sendable {
    /// The file name of the database inside the data directory.
    public static let databaseFileName = "noroshi.sqlite"

    let pool: DatabasePool
    /// The data directory.
    public let directory: URL
    public let clock: any WallClock
    let policy: LinkingPolicy
    let limits: ReportLimits
    let logger: Logger
    let tokenCache: TokenCache
    private let intake: GroupCommit<IntakeItem, ReportReceipt>
    private let checkpointer: Checkpointer

    /// Opens (creating if needed) the store in `directory` and brings its schema up to date.
    public init(
        directory: URL,
        policy: LinkingPolicy = LinkingPolicy(),
        limits: ReportLimits = ReportLimits(),
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) throws(NoroshiError) {
        // The place data is read here (about 30 ms in a release build), not by the first report; a build
        // without it does not start.
        if let problem = Places.loadError { throw NoroshiError(.unavailable, problem) }
        // Reports and photos are evidence and personal data: the data directory is the daemon user's alone
        // (0700) and the database 0600, whatever the umask. SQLite gives its -wal and -shm files the
        // database's mode.
        do {
            if !FileManager.default.fileExists(atPath: directory.path) {
                try FileManager.default.createDirectory(
                    at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                chmod(directory.path, 0o700)
            }
        } catch {
            throw NoroshiError(
                .unavailable,
                "Cannot create the data directory '\(directory.path)'.",
                cause: error
            )
        }
        let databasePath = directory.appendingPathComponent(Self.databaseFileName).path
        let created = open(databasePath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 { close(created) }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: databasePath + suffix) {
            chmod(databasePath + suffix, 0o600)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Read pages through a memory map instead of one pread per page, and keep more of them cached.
            // 64 MB of map bounds the daemon's resident size as the file grows; 256 MB was no faster.
            try db.execute(sql: "PRAGMA mmap_size = 67108864; PRAGMA cache_size = -16000")
        }
        let path = directory.appendingPathComponent(Self.databaseFileName).path
        let pool: DatabasePool
        let checkpointer: Checkpointer
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB switches a pool's writer to synchronous=NORMAL when it enables WAL, after any
            // prepareDatabase hook; NORMAL can lose the last commits on power loss. The writer is
            // one long-lived connection, so setting FULL on it here holds for the pool's lifetime.
            try pool.writeWithoutTransaction { db in
                try db.execute(
                    sql: """
                        PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = \(Checkpointer.fallbackPages);
                        PRAGMA journal_size_limit = \(Checkpointer.logSizeLimit)
                        """)
            }
            try Schema.migrator.migrate(pool)
            checkpointer = try Checkpointer(path: path, writer: pool)
        } catch {
            throw NoroshiError(.unavailable, "Cannot open the database '\(path)'.", cause: error)
        }
        self.pool = pool
        self.directory = directory
        self.checkpointer = checkpointer
        self.clock = clock
        self.policy = policy
        self.limits = limits
        self.logger = logger
        self.tokenCache = TokenCache(directory: directory)
        let linker = Linker(policy: policy)
        self.intake = GroupCommit(writer: pool) { db, item in
            try linker.ingest(item, in: db)
        }
    }

    /// Validates a submission and stores it, linked to an incident; idempotent by client key.
    ///
    /// The same client key with the same content returns the original receipt with `created`
    /// false; the same key with different content is a conflict. Concurrent calls share commits.
    /// `tokenID` is the sending token's id, kept so that a field sign-in on the board sees its own incidents.
    public func submit(_ submission: ReportSubmission, by actor: String, tokenID: Int64? = nil)
        async throws(NoroshiError) -> ReportReceipt
    {
        let now = clock.now()
        let report = try submission.validated(limits: limits, now: now)
        let item = IntakeItem(
            report: report,
            fingerprint: Fingerprint.of(submission),
            actor: actor,
            tokenID: tokenID,
            receivedAt: now
        )
        do {
            return try await intake.submit(item)
        } catch {
            throw Self.wrap(error, logger: logger)
        }
    }

    /// The incident number a report would join now, or nil when it would open a new incident; stores nothing.
    ///
    /// This is the linker's decision alone, without the write; the benchmark times it.
    public func proposedIncident(for submission: ReportSubmission) async throws(NoroshiError) -> String? {
        let report = try submission.validated(limits: limits, now: clock.now())
        let linker = Linker(policy: policy)
        return try await read { db in
            guard let target = try linker.destination(for: report, in: db).target else { return nil }
            return try String.fetchOne(db, sql: "SELECT number FROM incident WHERE id = ?", arguments: [target.id])
        }
    }

    /// Runs a read, turning database failures into `unavailable` errors.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(NoroshiError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.wrap(error, logger: logger)
        }
    }

    /// Runs a write transaction, turning database failures into `unavailable` errors.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(NoroshiError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw Self.wrap(error, logger: logger)
        }
    }

    /// A database failure as the layers above understand it, classified by SQLite's result code where it
    /// arises: a full disk says so (507), a constraint is a conflict (409), a busy database is worth a retry,
    /// and only a database that cannot be used at all is "not available".
    static func wrap(_ error: any Error, logger: Logger) -> NoroshiError {
        if let error = error as? NoroshiError { return error }
        guard let database = error as? DatabaseError else {
            logger.error("Database failure", metadata: ["error": "\(error)"])
            return NoroshiError(.unavailable, "The database is not available.", cause: error)
        }
        switch database.resultCode {
        case .SQLITE_FULL:
            logger.error("Disk full: nothing stored", metadata: ["error": "\(error)"])
            return NoroshiError(
                .insufficientStorage,
                "The server's disk is full; nothing was stored. Send it again once an administrator has freed space.",
                cause: error)
        case .SQLITE_CONSTRAINT:
            logger.warning("Database constraint", metadata: ["error": "\(error)"])
            return NoroshiError(.conflict, "The change conflicts with what is already stored.", cause: error)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            logger.warning("Database busy", metadata: ["error": "\(error)"])
            return NoroshiError(.unavailable, "The database is busy; try again in a moment.", cause: error)
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CORRUPT, .SQLITE_NOTADB:
            logger.error("Database failure", metadata: ["error": "\(error)"])
            return NoroshiError(.unavailable, "The database is not available.", cause: error)
        default:
            logger.error("Database failure", metadata: ["error": "\(error)"])
            return NoroshiError(.internal, "Internal error.", cause: error)
        }
    }
}

/// A validated report on its way into the intake transaction.
struct IntakeItem: Sendable {
    var report: ValidReport
    var fingerprint: String
    var actor: String
    var tokenID: Int64?
    var receivedAt: Date
}

extension Store {
    /// The `PRAGMA synchronous` value of the writing connection (2 is FULL), for checks and diagnostics.
    public func synchronousSetting() async throws(NoroshiError) -> Int {
        try await write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }
}
