import Crypto
import Foundation
import NoroshiCore
import NoroshiPhotos
import NoroshiStorage

/// `noroshi backup`, `restore` and `check`: a data directory copied while the daemon runs, put back, and
/// checked against itself and its audit log.
///
/// A backup is a folder: `noroshi.sqlite` (one consistent snapshot, by SQLite's online backup), the audit
/// signing key, every photo file that snapshot refers to under `photos/`, `SHA256SUMS` (which `sha256sum -c`
/// reads) and `backup.json` (what it holds, and the SHA-256 of `SHA256SUMS`). Photo files are written once under
/// their final name and never changed, and a photo's row is committed only after its file was fsynced, so the
/// files the snapshot names are all there to copy: database and photos agree.
public enum Backup {
    public static let manifestName = "backup.json"
    public static let sumsName = "SHA256SUMS"
    public static let format = "noroshi-backup/1"

    public struct Manifest: Sendable, Hashable, Codable {
        public var format: String
        public var createdAt: Date
        public var source: String
        public var reports: Int
        public var photos: Int
        public var files: Int
        public var bytes: Int64
        /// The newest audit row in the snapshot; `noroshi check` on the restored copy verifies up to it.
        public var auditSeq: Int64
        public var auditHash: String?
        /// SHA-256 of `SHA256SUMS`, which holds every other file's.
        public var sums: String

        enum CodingKeys: String, CodingKey {
            case format, source, reports, photos, files, bytes, sums
            case createdAt = "created_at"
            case auditSeq = "audit_seq"
            case auditHash = "audit_hash"
        }
    }

    /// Called as files are copied or checked: bytes done, bytes in all.
    public typealias Progress = @Sendable (_ done: Int64, _ total: Int64) -> Void

    /// Backs up the data directory of `store` into `target` (which must not exist, or be empty). Returns the
    /// manifest and the problems met on the way (a photo file missing or not matching its SHA-256: copied as it
    /// is, and named).
    public static func make(
        of store: Store, into target: URL, clock: any WallClock = SystemClock(), progress: Progress = { _, _ in }
    ) async throws(NoroshiError) -> (manifest: Manifest, problems: [String]) {
        try prepareEmptyFolder(target, what: "The backup folder")
        let snapshot = try store.backupDatabase(to: target.appendingPathComponent(Store.databaseFileName).path)
        let source = store.directory
        var problems: [String] = []
        var plan: [(from: URL, to: String, sha256: String?)] = []
        if FileManager.default.fileExists(atPath: source.appendingPathComponent(AuditKey.fileName).path) {
            plan.append((source.appendingPathComponent(AuditKey.fileName), AuditKey.fileName, nil))
        }
        let photos = try photoFiles(in: source)
        for photo in snapshot.photos {
            for (url, original) in files(of: photo, in: photos) {
                let relative = "photos/" + url.path.dropFirst(photos.root.path.count + 1)
                plan.append((url, relative, original ? photo.sha256 : nil))
            }
        }
        let total = plan.reduce(Int64(0)) { $0 + size(of: $1.from) }
        var done: Int64 = 0
        var sums = [(Store.databaseFileName, try hash(of: target.appendingPathComponent(Store.databaseFileName)))]
        for item in plan {
            let destination = target.appendingPathComponent(item.to)
            guard FileManager.default.fileExists(atPath: item.from.path) else {
                problems.append("\(item.to) is missing in the data directory; the backup has no copy of it.")
                continue
            }
            let (sha256, bytes) = try copy(item.from, to: destination)
            if let expected = item.sha256, expected != sha256 {
                problems.append("\(item.to) does not match its SHA-256 (damaged on disk); copied as it is.")
            }
            sums.append((item.to, sha256))
            done += bytes
            progress(done, total)
        }
        let sumsText = sums.sorted { $0.0 < $1.0 }.map { "\($0.1)  \($0.0)\n" }.joined()
        try write(Data(sumsText.utf8), to: target.appendingPathComponent(sumsName))
        let manifest = Manifest(
            format: format, createdAt: clock.now(), source: source.path, reports: snapshot.reports,
            photos: snapshot.photos.count, files: sums.count,
            bytes: done + size(of: target.appendingPathComponent(Store.databaseFileName)),
            auditSeq: snapshot.auditSeq, auditHash: snapshot.auditHash,
            sums: SHA256.hash(data: Data(sumsText.utf8)).hexEncoded)
        let json = (try? JSONEncoder.noroshi(pretty: true).encode(manifest)) ?? Data()
        try write(json + Data("\n".utf8), to: target.appendingPathComponent(manifestName))
        syncFolder(target)
        return (manifest, problems)
    }

    /// Reads a backup's manifest and checks every file against `SHA256SUMS` and that against the manifest.
    /// Returns the manifest; throws naming the first file that is missing or differs.
    public static func verify(_ backup: URL, progress: Progress = { _, _ in }) throws(NoroshiError) -> (
        manifest: Manifest, files: [String]
    ) {
        let manifestData: Data
        let sumsData: Data
        do {
            manifestData = try Data(contentsOf: backup.appendingPathComponent(manifestName))
            sumsData = try Data(contentsOf: backup.appendingPathComponent(sumsName))
        } catch {
            throw NoroshiError(
                .invalidInput, "'\(backup.path)' is not a Noroshi backup (no \(manifestName) and \(sumsName) in it).")
        }
        guard let manifest = try? JSONDecoder.noroshi().decode(Manifest.self, from: manifestData),
            manifest.format == format
        else { throw NoroshiError(.invalidInput, "\(manifestName) in '\(backup.path)' is not a \(format) manifest.") }
        guard SHA256.hash(data: sumsData).hexEncoded == manifest.sums else {
            throw NoroshiError(
                .conflict, "\(sumsName) in '\(backup.path)' does not match \(manifestName): it was changed.")
        }
        var entries: [(sha256: String, path: String)] = []
        for line in String(decoding: sumsData, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 64 else {
                throw NoroshiError(.invalidInput, "\(sumsName) in '\(backup.path)' has a malformed line.")
            }
            let path = parts[1].trimmingCharacters(in: .whitespaces)
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw NoroshiError(.invalidInput, "\(sumsName) names '\(path)', outside the backup.")
            }
            entries.append((String(parts[0]), path))
        }
        let total = entries.reduce(Int64(0)) { $0 + size(of: backup.appendingPathComponent($1.path)) }
        var done: Int64 = 0
        for entry in entries {
            let url = backup.appendingPathComponent(entry.path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw NoroshiError(.notFound, "The backup lacks \(entry.path), which \(sumsName) lists.")
            }
            guard try hash(of: url) == entry.sha256 else {
                throw NoroshiError(.conflict, "\(entry.path) in the backup does not match its SHA-256: it is damaged.")
            }
            done += size(of: url)
            progress(done, total)
        }
        return (manifest, entries.map(\.path))
    }

    /// Checks `backup` whole, then copies it into `dataDirectory`, which must hold no database: photos and the key
    /// first, the database last, each file 0600 and fsynced. Returns the manifest.
    public static func restore(_ backup: URL, into dataDirectory: URL, progress: Progress = { _, _ in })
        throws(NoroshiError) -> Manifest
    {
        let (manifest, files) = try verify(backup)
        let database = dataDirectory.appendingPathComponent(Store.databaseFileName)
        if FileManager.default.fileExists(atPath: database.path) {
            throw NoroshiError(
                .conflict,
                "'\(dataDirectory.path)' already holds a database; restore into a new directory (move the old one "
                    + "away first, and keep it until the restored one is checked).")
        }
        if !FileManager.default.fileExists(atPath: dataDirectory.path) {
            try makeFolder(dataDirectory)
        }
        let ordered = files.filter { $0 != Store.databaseFileName } + [Store.databaseFileName]
        let total = ordered.reduce(Int64(0)) { $0 + size(of: backup.appendingPathComponent($1)) }
        var done: Int64 = 0
        for path in ordered {
            let (_, bytes) = try copy(
                backup.appendingPathComponent(path), to: dataDirectory.appendingPathComponent(path))
            done += bytes
            progress(done, total)
        }
        syncFolder(dataDirectory)
        return manifest
    }

    // MARK: Files

    static func photoFiles(in directory: URL) throws(NoroshiError) -> PhotoFiles {
        do {
            return try PhotoFiles(root: directory.appendingPathComponent("photos"))
        } catch {
            throw NoroshiError(.unavailable, "Cannot open the photo folder: \(error.message)")
        }
    }

    /// A photo's files: its original (true) unless only a preview came, and its copies.
    static func files(of photo: StoredPhoto, in files: PhotoFiles) -> [(URL, Bool)] {
        (photo.previewOnly ? [] : [(files.original(photo.sha256), true)])
            + photo.copies.map { (files.derivative(photo.sha256, $0), false) }
    }

    static func size(of url: URL) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func hash(of url: URL) throws(NoroshiError) -> String {
        do throws(PhotoError) {
            return try PhotoFiles.sha256(of: url).sha256
        } catch {
            throw NoroshiError(.unavailable, "Cannot read '\(url.path)': \(error.message)")
        }
    }

    /// Copies a file (its folders made 0700), 0600 and fsynced; returns its SHA-256 and size.
    static func copy(_ source: URL, to destination: URL) throws(NoroshiError) -> (String, Int64) {
        try makeFolder(destination.deletingLastPathComponent())
        guard let input = FileHandle(forReadingAtPath: source.path) else {
            throw NoroshiError(.unavailable, "Cannot read '\(source.path)'.")
        }
        defer { try? input.close() }
        let descriptor = open(destination.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw NoroshiError(.unavailable, "Cannot create '\(destination.path)' (errno \(errno)).")
        }
        defer { close(descriptor) }
        var hasher = SHA256()
        var bytes: Int64 = 0
        while true {
            let chunk = input.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            bytes += Int64(chunk.count)
            let written = chunk.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written == chunk.count else {
                throw NoroshiError(.unavailable, "Cannot write '\(destination.path)' (errno \(errno)).")
            }
        }
        guard fsync(descriptor) == 0 else {
            throw NoroshiError(.unavailable, "Cannot write '\(destination.path)' (errno \(errno)).")
        }
        return (hasher.finalize().hexEncoded, bytes)
    }

    static func write(_ data: Data, to url: URL) throws(NoroshiError) {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NoroshiError(.unavailable, "Cannot create '\(url.path)' (errno \(errno)).") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            throw NoroshiError(.unavailable, "Cannot write '\(url.path)' (errno \(errno)).")
        }
    }

    /// Makes a folder (and its parents) 0700, fsyncing the parent of each one made.
    static func makeFolder(_ url: URL) throws(NoroshiError) {
        guard !FileManager.default.fileExists(atPath: url.path) else { return }
        try makeFolder(url.deletingLastPathComponent())
        guard mkdir(url.path, 0o700) == 0 || errno == EEXIST else {
            throw NoroshiError(.unavailable, "Cannot create the folder '\(url.path)' (errno \(errno)).")
        }
        chmod(url.path, 0o700)
        syncFolder(url.deletingLastPathComponent())
    }

    static func prepareEmptyFolder(_ url: URL, what: String) throws(NoroshiError) {
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: url.path), !contents.isEmpty {
            throw NoroshiError(.conflict, "\(what) '\(url.path)' is not empty; give a new folder.")
        }
        try makeFolder(url)
    }

    static func syncFolder(_ url: URL) {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}

/// What `noroshi check` found in a data directory.
public struct DataCheck: Sendable, Hashable, Codable {
    /// SQLite's `integrity_check`: `["ok"]` when sound.
    public var integrity: [String]
    /// Photo files looked at, and whether their contents were hashed.
    public var photoFiles: Int
    public var photosHashed: Bool
    public var photoProblems: [String]
    public var audit: AuditVerification
    public var evidence: EvidenceCheck

    public var isClean: Bool {
        integrity == ["ok"] && photoProblems.isEmpty && audit.isIntact && evidence.problems.isEmpty
    }

    enum CodingKeys: String, CodingKey {
        case integrity, audit, evidence
        case photoFiles = "photo_files"
        case photosHashed = "photos_hashed"
        case photoProblems = "photo_problems"
    }

    /// Runs every check on `store`'s data directory; `hashPhotos` false only looks that each file is there.
    public static func run(_ store: Store, hashPhotos: Bool = true, progress: Backup.Progress = { _, _ in })
        async throws(NoroshiError) -> DataCheck
    {
        let integrity = try await store.integrityCheck()
        let files = try Backup.photoFiles(in: store.directory)
        var problems: [String] = []
        var checked = 0
        let photos = try await store.storedPhotos()
        let all = photos.flatMap { photo in Backup.files(of: photo, in: files).map { (photo, $0.0, $0.1) } }
        let total = all.reduce(Int64(0)) { $0 + Backup.size(of: $1.1) }
        var done: Int64 = 0
        for (photo, url, original) in all {
            let name = "photos/" + url.path.dropFirst(files.root.path.count + 1)
            checked += 1
            guard FileManager.default.fileExists(atPath: url.path) else {
                problems.append("\(name) is missing.")
                continue
            }
            if hashPhotos, original, try Backup.hash(of: url) != photo.sha256 {
                problems.append("\(name) does not match its SHA-256: it was changed or damaged.")
            }
            done += Backup.size(of: url)
            progress(done, total)
        }
        return DataCheck(
            integrity: integrity, photoFiles: checked, photosHashed: hashPhotos, photoProblems: problems,
            audit: try await store.verifyAudit(), evidence: try await store.checkEvidence())
    }
}
