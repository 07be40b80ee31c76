import Crypto
import Foundation
import NoroshiCore

#if canImport(Glibc)
    import Glibc
#endif

/// The photo files under the data directory: originals named by their SHA-256, their copies beside
/// them, and uploads in progress.
///
/// ```
/// photos/3f/3fa2…9c.jpg          the original, byte for byte
/// photos/3f/3fa2…9c.chat.jpg     1280 px copy
/// photos/3f/3fa2…9c.thumb.jpg    320 px copy
/// photos/incoming/               uploads being received (removed at start-up)
/// photos/uploads/<id>            resumable (tus) uploads, kept across restarts until they finish or expire
/// ```
///
/// Every file is written under a temporary name, fsynced, renamed into place and its directory
/// fsynced, so a name that exists always holds complete bytes, even after a power loss.
public struct PhotoFiles: Sendable {
    public let root: URL

    public init(root: URL) throws(PhotoError) {
        self.root = root
        do {
            // The daemon user's alone, like the data directory; photos are written 0600.
            for folder in [root, root.appendingPathComponent("incoming"), root.appendingPathComponent("uploads")] {
                try FileManager.default.createDirectory(
                    at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw PhotoError(.io, "cannot create \(root.path): \(error.localizedDescription)")
        }
    }

    /// The original photo with this SHA-256.
    public func original(_ sha256: String) -> URL {
        folder(sha256).appendingPathComponent("\(sha256).jpg")
    }

    /// The named copy (`chat`, `thumb`) of the photo with this SHA-256.
    public func derivative(_ sha256: String, _ name: String) -> URL {
        folder(sha256).appendingPathComponent("\(sha256).\(name).jpg")
    }

    func folder(_ sha256: String) -> URL { root.appendingPathComponent(String(sha256.prefix(2))) }

    /// Removes uploads left over from a daemon that stopped while receiving them.
    public func removeIncoming() {
        let incoming = root.appendingPathComponent("incoming")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: incoming.path)) ?? [] {
            try? FileManager.default.removeItem(at: incoming.appendingPathComponent(name))
        }
    }

    /// The file of a resumable upload.
    public func resumable(_ id: String) -> URL {
        root.appendingPathComponent("uploads").appendingPathComponent(id)
    }

    /// Removes the files of resumable uploads whose id `keep` rejects (expired, finished or deleted).
    public func removeResumables(keeping keep: (String) -> Bool) {
        let folder = root.appendingPathComponent("uploads")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where !keep(name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Opens a resumable upload's file to append at `offset`: a file longer than that (bytes written but never
    /// recorded, before a crash) is cut back first. Creates the file (and syncs its folder) at offset 0.
    public func resume(_ id: String, at offset: Int64) throws(PhotoError) -> Upload {
        let url = resumable(id)
        let upload = try Upload(url: url, appendingAt: offset)
        if offset == 0 { try Self.syncDirectory(url.deletingLastPathComponent()) }
        return upload
    }

    /// Starts receiving an upload.
    public func beginUpload() throws(PhotoError) -> Upload {
        try Upload(url: root.appendingPathComponent("incoming").appendingPathComponent("upload-\(UUID().uuidString)"))
    }

    /// Moves a complete, synced upload to its place as the original (unless the same bytes are already
    /// there) and syncs the directory. Returns false when the original already existed.
    @discardableResult
    public func keep(_ upload: Upload, sha256: String) throws(PhotoError) -> Bool {
        try keep(file: upload.url, sha256: sha256)
    }

    /// Moves a complete, synced file to its place as the original (unless the same bytes are already there,
    /// when the file is removed) and syncs the directory. Returns false when the original already existed.
    @discardableResult
    public func keep(file: URL, sha256: String) throws(PhotoError) -> Bool {
        try makeFolder(for: sha256)
        let target = original(sha256)
        if FileManager.default.fileExists(atPath: target.path) {
            unlink(file.path)
            return false
        }
        try Self.rename(file, to: target)
        return true
    }

    /// Moves a complete, synced file into place as a photo's named copy (a preview becomes the chat copy of the
    /// original it stands for) and syncs the directory.
    public func keep(file: URL, sha256: String, derivative name: String) throws(PhotoError) {
        try makeFolder(for: sha256)
        try Self.rename(file, to: derivative(sha256, name))
    }

    /// The SHA-256 (lowercase hex) and size of a file, read in 1 MB pieces.
    public static func sha256(of url: URL) throws(PhotoError) -> (sha256: String, bytes: Int64) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PhotoError(.io, "cannot open \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var hasher = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw PhotoError(.io, "cannot read \(url.path): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<got])) }
            total += Int64(got)
        }
        return (hasher.finalize().hexEncoded, total)
    }

    /// Writes a copy atomically and durably.
    public func writeDerivative(_ data: Data, sha256: String, name: String) throws(PhotoError) {
        try makeFolder(for: sha256)
        let upload = try beginUpload()
        do {
            try upload.write(data)
            try upload.finish()
        } catch {
            upload.discard()
            throw error
        }
        try Self.rename(upload.url, to: derivative(sha256, name))
    }

    /// Creates the photo's folder (`photos/3f/`) if needed, and fsyncs `photos/` after creating it: a new
    /// directory's name is in its parent, and without that sync a power loss could lose the folder, and the
    /// acknowledged photo in it, even though the photo's own file and folder were synced.
    private func makeFolder(for sha256: String) throws(PhotoError) {
        let folder = folder(sha256)
        if FileManager.default.fileExists(atPath: folder.path) { return }
        do {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PhotoError(.io, "cannot create \(folder.path): \(error.localizedDescription)")
        }
        try Self.syncDirectory(root)
    }

    private static func rename(_ source: URL, to target: URL) throws(PhotoError) {
        guard Glibc.rename(source.path, target.path) == 0 else {
            throw PhotoError(.io, "cannot rename to \(target.path): \(String(cString: strerror(errno)))")
        }
        try syncDirectory(target.deletingLastPathComponent())
    }

    static func syncDirectory(_ url: URL) throws(PhotoError) {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { throw PhotoError(.io, "cannot open \(url.path)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw PhotoError(.io, "cannot sync \(url.path)") }
    }
}

/// A file being received: written chunk by chunk while its SHA-256 and size are computed, so the
/// whole photo is never held in memory.
public final class Upload: @unchecked Sendable {
    public let url: URL
    private var descriptor: Int32
    private var hasher = SHA256()
    /// Kept only when asked for: tus clients may check their chunks with SHA-1 (the one algorithm tus requires).
    private var sha1: Insecure.SHA1?
    public private(set) var bytes = 0

    init(url: URL) throws(PhotoError) {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw PhotoError(.io, "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Opens an existing (or new) file to append at `offset`, cutting off anything beyond it. The hash and
    /// `bytes` then cover only what this session appends: a tus chunk, for its `Upload-Checksum`.
    init(url: URL, appendingAt offset: Int64) throws(PhotoError) {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw PhotoError(.io, "cannot open \(url.path): \(String(cString: strerror(errno)))")
        }
        guard ftruncate(descriptor, off_t(offset)) == 0, lseek(descriptor, off_t(offset), SEEK_SET) == off_t(offset)
        else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            descriptor = -1
            throw PhotoError(.io, "cannot prepare \(url.path) at byte \(offset): \(reason)")
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Appends bytes.
    public func write(_ chunk: UnsafeRawBufferPointer) throws(PhotoError) {
        hasher.update(bufferPointer: chunk)
        sha1?.update(bufferPointer: chunk)
        var offset = 0
        while offset < chunk.count {
            let written = Glibc.write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw PhotoError(
                    errno == ENOSPC ? .diskFull : .io, "cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        bytes += chunk.count
    }

    public func write(_ data: Data) throws(PhotoError) {
        do {
            try data.withUnsafeBytes { try write($0) }
        } catch {
            throw error as? PhotoError ?? PhotoError(.io, "cannot write \(url.path)")
        }
    }

    /// Flushes the bytes to disk and closes the file; returns the SHA-256 (lowercase hex).
    @discardableResult
    public func finish() throws(PhotoError) -> String {
        guard fsync(descriptor) == 0 else {
            throw PhotoError(errno == ENOSPC ? .diskFull : .io, "cannot sync \(url.path)")
        }
        close(descriptor)
        descriptor = -1
        return hasher.finalize().hexEncoded
    }

    /// Flushes the bytes to disk and closes the file, keeping it (a tus chunk, possibly cut short).
    public func commit() throws(PhotoError) {
        guard descriptor >= 0 else { return }
        defer {
            close(descriptor)
            descriptor = -1
        }
        guard fsync(descriptor) == 0 else { throw PhotoError(.io, "cannot sync \(url.path)") }
    }

    /// The SHA-256 of the bytes written so far (a tus chunk's, for its `Upload-Checksum`).
    public var digest: [UInt8] { Array(hasher.finalize()) }

    /// Starts a SHA-1 of what is written from now on, beside the SHA-256.
    public func trackSHA1() { sha1 = Insecure.SHA1() }

    /// The SHA-1 of the bytes written since ``trackSHA1()``.
    public var sha1Digest: [UInt8]? { sha1.map { Array($0.finalize()) } }

    /// Closes and removes the file.
    public func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(url.path)
    }
}
