import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NoroshiCore
import NoroshiPhotos
import NoroshiStorage
import Synchronization

/// How resumable uploads are kept: their lifetime, how many one token may hold, and which are receiving bytes.
public struct UploadSettings: Sendable {
    /// An unfinished upload is forgotten this long after its last byte arrived (`uploads.expire_hours`).
    public var lifetime: TimeInterval = 24 * 3600
    /// Unfinished uploads one token name may hold (`uploads.max_open`).
    public var maxOpen = 100
    /// The uploads receiving bytes or being finished right now: tus forbids two writers on one upload.
    let busy = UploadLocks()

    public init() {}
}

/// The ids of the uploads a request is working on; a second request for one of them is refused (423).
final class UploadLocks: Sendable {
    private let held = Mutex<Set<String>>([])

    /// Takes the upload, or returns false when another request holds it.
    func take(_ id: String) -> Bool { held.withLock { $0.insert(id).inserted } }

    func release(_ id: String) { _ = held.withLock { $0.remove(id) } }
}

/// Resumable photo uploads, tus 1.0.0 with the creation, expiration, checksum (sha256) and termination
/// extensions: `POST /v1/uploads` creates one for a report, `HEAD` tells how many bytes the server has,
/// `PATCH` appends from there, and the last byte runs the same checks as `POST /v1/reports/{id}/photos`.
///
/// The bytes of a `PATCH` that breaks off are kept (synced, then counted), so the next one continues where
/// the link dropped, unless the `PATCH` carried an `Upload-Checksum`, which covers the whole chunk: then a
/// partial chunk is dropped. The whole file is checked against the SHA-256 announced in `Upload-Metadata`.
extension API {
    static let tusVersion = "1.0.0"

    /// `OPTIONS /v1/uploads`: what this server speaks.
    @Sendable func tusOptions(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.tusVersion] = Self.tusVersion
        headers[.tusExtension] = "creation,creation-with-upload,expiration,checksum,termination"
        headers[.tusChecksumAlgorithm] = "sha256,sha1"
        if let photos { headers[.tusMaxSize] = String(photos.limits.maxBytes) }
        return Response(status: .noContent, headers: headers)
    }

    /// `POST /v1/uploads`: a new upload of `Upload-Length` bytes for the report named in `Upload-Metadata`.
    ///
    /// The body may carry the first bytes (tus creation-with-upload, `application/offset+octet-stream`), so a
    /// small file goes in one round trip and its answer (201, the upload as JSON) names the photo it became.
    /// With `client_key` in the metadata the creation can be asked again: the same token, report, length,
    /// SHA-256 and key name the same upload, which is answered (200) with its offset instead of a second one
    /// being made, so a creation whose answer was lost on the link loses nothing. Such a repeat carries no body
    /// once the server has bytes (409: continue with PATCH).
    @Sendable func createUpload(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        try Self.checkTusVersion(request)
        let photos = try photoSettings()
        if request.headers[.uploadDeferLength] != nil {
            throw NoroshiError(.malformed, "This server needs Upload-Length when the upload is created.")
        }
        guard let lengthText = request.headers[.uploadLength] else {
            throw NoroshiError(.malformed, "Give the photo's size in bytes in the Upload-Length header.")
        }
        guard let length = Int64(lengthText), length > 0 else {
            throw NoroshiError(.malformed, "Upload-Length must be a whole number of bytes above 0.")
        }
        guard length <= photos.limits.maxBytes else {
            throw NoroshiError(
                .tooLarge,
                "The photo is \(length / 1_048_576) MB; the limit is \(photos.limits.maxBytes / 1_048_576) MB.")
        }
        let carriesBody =
            request.headers[.contentLength].flatMap { Int($0) }.map { $0 > 0 }
            ?? (request.headers[.transferEncoding] != nil)
        if carriesBody { try Self.checkOffsetStream(request) }
        let checksum = try request.headers[.uploadChecksum].map(Self.checksum)
        let metadata = try Self.uploadMetadata(request.headers[.uploadMetadata] ?? "")
        guard let reportText = metadata["report_id"] ?? nil, let reportID = Int64(reportText), reportID > 0 else {
            throw NoroshiError(
                .invalidInput,
                "Name the report in Upload-Metadata: 'report_id' followed by the report's id in base64.")
        }
        let fileName = (metadata["filename"] ?? nil).map { String($0.prefix(255)) }
        if let fileName { try TextRules.check(fileName, field: "filename") }
        var sha256: String?
        if let announced = metadata["sha256"] ?? nil {
            let hex = announced.lowercased()
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                throw NoroshiError(.invalidInput, "The 'sha256' in Upload-Metadata must be 64 hexadecimal digits.")
            }
            sha256 = hex
        }
        let queued = try (metadata["queued_seconds"] ?? nil).map { try Self.queuedSeconds($0) }
        let preview = try Self.previewClaim(metadata, limits: photos.limits)
        if preview != nil, length > Self.maxPreviewBytes {
            throw NoroshiError(
                .tooLarge, "A preview is a chat copy of about 200 KB; this one is \(length / 1024) KB (limit 4 MB).")
        }
        var id = Self.newUploadID()
        if let key = metadata["client_key"] ?? nil {
            guard (1...128).contains(key.count) else {
                throw NoroshiError(.invalidInput, "The 'client_key' in Upload-Metadata must be 1 to 128 characters.")
            }
            try TextRules.check(key, field: "client_key")
            id = Self.uploadID(
                token: token.name, reportID: reportID, length: length, sha256: sha256, preview: preview?.sha256,
                key: key)
        }
        let (upload, created) = try await store.createUpload(
            id: id, reportID: reportID, fileName: fileName, length: length, sha256: sha256, by: token.name,
            queuedSeconds: queued, preview: preview, lifetime: uploads.lifetime, maxOpen: uploads.maxOpen,
            reuse: metadata["client_key"] != nil)
        if created {
            do throws(PhotoError) {
                try photos.files.resume(id, at: 0).commit()
            } catch {
                try? await store.deleteUpload(id: id)
                throw Self.noroshiError(error)
            }
            context.logger.info(
                "Upload created",
                metadata: ["upload.id": "\(id)", "report.id": "\(reportID)", "upload.length": "\(length)"])
        }
        var state = upload
        if carriesBody {
            guard uploads.busy.take(id) else { throw Self.busy }
            defer { uploads.busy.release(id) }
            guard let current = try await store.upload(id: id) else { throw Self.uploadNotFound }
            guard current.offset == 0, current.photo == nil else {
                throw NoroshiError(
                    .conflict,
                    "The server has \(current.offset) bytes of this upload already: ask again without a body, "
                        + "then continue with PATCH from there.")
            }
            state = try await receive(request, into: current, checksum: checksum, by: token, context: context)
        } else if !created {
            state = try await finishedIfComplete(upload, by: token, context: context)
        }
        var response = try JSONResponse.make(state, status: created ? .created : .ok)
        response.headers[.location] = "/v1/uploads/\(id)"
        response.headers[.uploadOffset] = String(state.offset)
        response.headers[.uploadExpires] = Self.httpDate(state.expiresAt)
        if let photo = state.photo { response.headers[.noroshiPhoto] = photo.photo.sha256 }
        return response
    }

    /// `HEAD /v1/uploads/{id}`: how many bytes the server has. An upload whose every byte arrived but which a
    /// stop interrupted before it was checked is finished here, so the answer always means what it says.
    @Sendable func uploadOffset(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        try Self.checkTusVersion(request)
        let upload = try await finishedIfComplete(
            try await ownUpload(context, token: token), by: token, context: context)
        var headers = HTTPFields()
        headers[.uploadOffset] = String(upload.offset)
        headers[.uploadLength] = String(upload.length)
        headers[.uploadExpires] = Self.httpDate(upload.expiresAt)
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers)
    }

    /// `GET /v1/uploads/{id}`: the upload as JSON, with the photo it became once complete.
    @Sendable func showUpload(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        let upload = try await finishedIfComplete(
            try await ownUpload(context, token: token), by: token, context: context)
        return try JSONResponse.make(upload)
    }

    /// `PATCH /v1/uploads/{id}`: appends the body at `Upload-Offset`, which must be the server's offset.
    @Sendable func appendUpload(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        try Self.checkTusVersion(request)
        try Self.checkOffsetStream(request)
        guard let offsetText = request.headers[.uploadOffset], let offset = Int64(offsetText), offset >= 0 else {
            throw NoroshiError(.malformed, "Give the offset the bytes start at in the Upload-Offset header.")
        }
        let checksum = try request.headers[.uploadChecksum].map(Self.checksum)
        let upload = try await ownUpload(context, token: token)
        guard uploads.busy.take(upload.id) else { throw Self.busy }
        defer { uploads.busy.release(upload.id) }
        // Read again under the lock: the request that held it may have moved the offset.
        guard let current = try await store.upload(id: upload.id) else { throw Self.uploadNotFound }
        guard current.photo == nil else {
            throw NoroshiError(.conflict, "This upload is complete; its photo is on report \(current.reportID).")
        }
        guard offset == current.offset else {
            throw NoroshiError(
                .conflict, "The server has \(current.offset) bytes of this upload, not \(offset): continue from there.")
        }
        let updated = try await receive(request, into: current, checksum: checksum, by: token, context: context)
        var headers = HTTPFields()
        if let photo = updated.photo { headers[.noroshiPhoto] = photo.photo.sha256 }
        headers[.uploadOffset] = String(updated.offset)
        headers[.uploadExpires] = Self.httpDate(updated.expiresAt)
        return Response(status: .noContent, headers: headers)
    }

    /// Appends a request's body to an upload at its offset (the caller holds the upload's lock and has read
    /// `current` under it), syncs and counts the bytes, and finishes the upload when it is complete. A body that
    /// breaks off keeps what arrived, unless a checksum covered the whole of it; the answer then goes nowhere.
    func receive(
        _ request: Request, into current: ResumableUpload, checksum: (algorithm: String, digest: [UInt8])?,
        by token: TokenInfo, context: NoroshiRequestContext
    ) async throws -> ResumableUpload {
        let photos = try photoSettings()
        let file: Upload
        do throws(PhotoError) {
            file = try photos.files.resume(current.id, at: current.offset)
        } catch {
            throw Self.noroshiError(error)
        }
        if checksum?.algorithm == "sha1" { file.trackSHA1() }
        var interrupted = false
        do {
            for try await buffer in request.body {
                guard current.offset + Int64(file.bytes + buffer.readableBytes) <= current.length else {
                    // Nothing of this request is kept: the next resume cuts the file back to the stored offset.
                    throw NoroshiError(
                        .tooLarge, "The bytes sent run past the Upload-Length of \(current.length) given at creation.")
                }
                try buffer.withUnsafeReadableBytes { bytes throws(PhotoError) in try file.write(bytes) }
            }
        } catch let error as NoroshiError {
            throw error
        } catch let error as PhotoError {
            throw Self.noroshiError(error)
        } catch {
            // The client went away mid-body (a dropped link). Keep what arrived, unless a checksum covered the
            // whole chunk; the answer goes nowhere.
            interrupted = true
            context.logger.info(
                "Upload interrupted",
                metadata: ["upload.id": "\(current.id)", "upload.offset": "\(current.offset + Int64(file.bytes))"])
        }
        if let checksum {
            let digest = checksum.algorithm == "sha1" ? file.sha1Digest : file.digest
            if interrupted || digest != checksum.digest {
                throw interrupted
                    ? NoroshiError(.malformed, "The body ended before the bytes the checksum covers.")
                    : NoroshiError(
                        .checksumMismatch, "The bytes received do not match the Upload-Checksum; send them again.")
            }
        }
        do throws(PhotoError) {
            try await Blocking.run { () throws(PhotoError) in try file.commit() }
        } catch {
            throw Self.noroshiError(error)
        }
        var updated = current
        updated.offset = current.offset + Int64(file.bytes)
        updated.expiresAt = try await store.recordUploadProgress(
            id: current.id, offset: updated.offset, lifetime: uploads.lifetime)
        if interrupted {
            throw NoroshiError(.malformed, "The body ended early; \(updated.offset) bytes are kept.")
        }
        if updated.isComplete {
            updated.photo = try await finish(updated, by: token, context: context)
        }
        return updated
    }

    /// `DELETE /v1/uploads/{id}`: forgets an upload and its bytes (a photo it became stays).
    @Sendable func deleteUpload(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        try Self.checkTusVersion(request)
        let upload = try await ownUpload(context, token: token)
        guard uploads.busy.take(upload.id) else { throw Self.busy }
        defer { uploads.busy.release(upload.id) }
        try await store.deleteUpload(id: upload.id)
        unlink(try photoSettings().files.resumable(upload.id).path)
        return Response(status: .noContent)
    }

    // MARK: Finishing

    /// The upload, finished first when every byte is there but it was never checked (a stop in between).
    /// Another request holding it is left to do that.
    func finishedIfComplete(
        _ upload: ResumableUpload, by token: TokenInfo, context: NoroshiRequestContext
    ) async throws -> ResumableUpload {
        guard upload.isComplete, upload.photo == nil, uploads.busy.take(upload.id) else { return upload }
        defer { uploads.busy.release(upload.id) }
        guard let current = try await store.upload(id: upload.id) else { throw Self.uploadNotFound }
        guard current.photo == nil else { return current }
        var finished = current
        finished.photo = try await finish(current, by: token, context: context)
        return finished
    }

    /// Checks a complete upload against its announced SHA-256 and accepts its photo exactly as a plain upload's;
    /// a refused photo's upload is removed with its bytes. The caller holds the upload's lock; `token` is the
    /// caller's, which owns the upload (see ``ownUpload(_:token:)``).
    func finish(_ upload: ResumableUpload, by token: TokenInfo, context: NoroshiRequestContext) async throws
        -> PhotoReceipt
    {
        let files = try photoSettings().files
        let url = files.resumable(upload.id)
        let (sha256, bytes): (String, Int64)
        do throws(PhotoError) {
            (sha256, bytes) = try await Blocking.run { () throws(PhotoError) in try PhotoFiles.sha256(of: url) }
        } catch {
            // The file went to its content address but the stop came before the upload recorded it.
            if let announced = upload.sha256, let photo = try await store.photo(sha256: announced) {
                let receipt = try await store.attachPhoto(
                    photo, toReport: upload.reportID, by: token.principal, addedAt: upload.addedAt)
                try await store.finishUpload(id: upload.id, receipt: receipt)
                return receipt
            }
            try? await store.deleteUpload(id: upload.id)
            throw NoroshiError(.notFound, "The bytes of this upload are gone; send the photo again.", cause: error)
        }
        if let announced = upload.sha256, announced != sha256 || bytes != upload.length {
            try? await store.deleteUpload(id: upload.id)
            unlink(url.path)
            throw NoroshiError(
                .checksumMismatch,
                "The upload's bytes have SHA-256 \(sha256.prefix(12))…, not the \(announced.prefix(12))… announced; "
                    + "it was removed: send the photo again.")
        }
        let receipt: PhotoReceipt
        do {
            if let claim = upload.preview {
                receipt = try await acceptPreview(
                    at: url, claim: claim, reportID: upload.reportID, actor: token.principal, addedAt: upload.addedAt,
                    context: context)
            } else {
                receipt = try await acceptPhoto(
                    at: url, sha256: sha256, bytes: bytes, reportID: upload.reportID, actor: token.principal,
                    addedAt: upload.addedAt, context: context)
            }
        } catch {
            try? await store.deleteUpload(id: upload.id)
            throw error
        }
        try await store.finishUpload(id: upload.id, receipt: receipt)
        return receipt
    }

    // MARK: Previews

    /// The largest preview accepted: a chat copy is about 200 KB.
    static let maxPreviewBytes: Int64 = 4 << 20

    /// The preview an upload's metadata announces: `preview_of` (the original's SHA-256) with the original's
    /// `original_length`, `original_width`, `original_height` and `original_orientation`; nil for a photo.
    static func previewClaim(_ metadata: [String: String?], limits: PhotoLimits) throws(NoroshiError) -> PreviewClaim? {
        guard let original = metadata["preview_of"] ?? nil else { return nil }
        let hex = original.lowercased()
        guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
            throw NoroshiError(.invalidInput, "The 'preview_of' in Upload-Metadata must be the original's SHA-256.")
        }
        func number(_ key: String, _ range: ClosedRange<Int64>) throws(NoroshiError) -> Int64 {
            guard let text = metadata[key] ?? nil, let value = Int64(text), range.contains(value) else {
                throw NoroshiError(
                    .invalidInput,
                    "A preview needs '\(key)' in Upload-Metadata, from \(range.lowerBound) to \(range.upperBound).")
            }
            return value
        }
        let claim = PreviewClaim(
            sha256: hex, bytes: try number("original_length", 1...Int64(limits.maxBytes)),
            width: Int(try number("original_width", 1...65_535)),
            height: Int(try number("original_height", 1...65_535)),
            orientation: Int(try number("original_orientation", 1...8)))
        guard claim.width * claim.height <= limits.maxPixels else {
            throw NoroshiError(.invalidInput, "The original announced has more pixels than this server accepts.")
        }
        return claim
    }

    /// Checks a received preview as a photo, and as a chat copy of the original its claim announces (its size
    /// must be that copy's, within 2 px), then puts it in the original's place until the original comes.
    func acceptPreview(
        at file: URL, claim: PreviewClaim, reportID: Int64, actor: Principal, addedAt: Date?,
        context: NoroshiRequestContext
    ) async throws -> PhotoReceipt {
        let photos = try photoSettings()
        let header = try await Blocking.run { () throws(NoroshiError) -> PhotoHeader in
            let inspection = PhotoInspection.inspect(path: file.path, limits: photos.limits)
            guard let header = inspection.header, header.format == .jpeg else {
                unlink(file.path)
                throw Self.noroshiError(
                    inspection.error ?? PhotoError(.notAPhoto, "a preview is a JPEG (the original's chat copy)"))
            }
            return header
        }
        let size = Photo.Size(width: header.width, height: header.height)
        let expected = Photo.Size.fitted(
            width: claim.width, height: claim.height, orientation: claim.orientation,
            longSide: DerivativeSpec.chat.longSide)
        guard size.agrees(with: expected) else {
            unlink(file.path)
            throw NoroshiError(
                .invalidInput,
                "The preview is \(size.width)×\(size.height), but a chat copy of the \(claim.width)×\(claim.height) "
                    + "photo it announces would be \(expected.width)×\(expected.height).")
        }
        if try await store.photo(sha256: claim.sha256) == nil {
            do throws(PhotoError) {
                try photos.files.keep(file: file, sha256: claim.sha256, derivative: "chat")
            } catch {
                unlink(file.path)
                throw Self.noroshiError(error)
            }
        } else {
            unlink(file.path)  // the original (or another preview) is here already
        }
        let (receipt, stored) = try await store.attachPreview(
            claim, size: size, toReport: reportID, by: actor, addedAt: addedAt)
        if stored { photoSignal.notify() }
        context.logger.info(
            "Preview received", metadata: ["report.id": "\(reportID)", "photo.sha256": "\(claim.sha256)"])
        return receipt
    }

    // MARK: Parts

    /// The upload named in the path, if it exists, has not expired and belongs to the caller's token name.
    func ownUpload(_ context: NoroshiRequestContext, token: TokenInfo) async throws -> ResumableUpload {
        let id = try context.parameters.require("id")
        guard id.count == 32, id.allSatisfy(\.isHexDigit), let upload = try await store.upload(id: id.lowercased())
        else { throw Self.uploadNotFound }
        guard upload.createdBy == token.name else {
            throw NoroshiError(.forbidden, "This upload was started with another token; only that one may continue it.")
        }
        return upload
    }

    static var uploadNotFound: NoroshiError {
        NoroshiError(
            .notFound,
            "No such upload: it never existed, expired after a day without bytes, or was removed; "
                + "create a new one with POST /v1/uploads.")
    }

    static var busy: NoroshiError {
        NoroshiError(.locked, "This upload is receiving bytes on another connection; try again when that one ends.")
    }

    /// The media type tus requires for bytes: `application/offset+octet-stream`.
    static func checkOffsetStream(_ request: Request) throws(NoroshiError) {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/offset+octet-stream") == true else {
            throw NoroshiError(
                .unsupportedMediaType, "Send the bytes with 'Content-Type: application/offset+octet-stream'.")
        }
    }

    /// The id of an upload created with a `client_key`: 128 bits of a SHA-256 over the creating token's name,
    /// the report, the length, the announced SHA-256, the original a preview stands for and the key. Asking
    /// again with the same of each finds the same upload; another token finds another (and may not open it).
    static func uploadID(
        token: String, reportID: Int64, length: Int64, sha256: String?, preview: String?, key: String
    ) -> String {
        let parts = ["noroshi-upload-1", token, String(reportID), String(length), sha256 ?? "", preview ?? "", key]
        let digest = SHA256.hash(data: Data(parts.joined(separator: "\u{0}").utf8))
        return digest.prefix(16).hexEncoded
    }

    static func checkTusVersion(_ request: Request) throws(NoroshiError) {
        guard let version = request.headers[.tusResumable] else {
            throw NoroshiError(.preconditionFailed, "Send 'Tus-Resumable: 1.0.0': this route speaks tus 1.0.0.")
        }
        guard version == tusVersion else {
            throw NoroshiError(
                .preconditionFailed, "This server speaks tus 1.0.0, not '\(version.prefix(20))'.")
        }
    }

    /// `Upload-Metadata`: comma-separated `key base64value` pairs (a key may stand alone).
    static func uploadMetadata(_ header: String) throws(NoroshiError) -> [String: String?] {
        var result: [String: String?] = [:]
        for pair in header.split(separator: ",") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
            guard let key = parts.first, parts.count <= 2 else {
                throw NoroshiError(.malformed, "Upload-Metadata must be 'key base64value' pairs separated by commas.")
            }
            guard result[String(key)] == nil else {
                throw NoroshiError(.malformed, "Upload-Metadata gives the key '\(key.prefix(40))' twice.")
            }
            guard parts.count == 2 else {
                result[String(key)] = .some(nil)
                continue
            }
            guard let data = Data(base64Encoded: String(parts[1])), let text = String(data: data, encoding: .utf8)
            else {
                throw NoroshiError(
                    .malformed, "The value of '\(key.prefix(40))' in Upload-Metadata is not base64 of UTF-8 text.")
            }
            result[String(key)] = text
        }
        return result
    }

    /// `Upload-Checksum: sha256 <base64 digest>` (or `sha1`, which tus requires every server to take).
    static func checksum(_ header: String) throws(NoroshiError) -> (algorithm: String, digest: [UInt8]) {
        let parts = header.split(separator: " ")
        guard parts.count == 2 else {
            throw NoroshiError(.malformed, "Upload-Checksum must be 'sha256 <base64 digest>'.")
        }
        let algorithm = parts[0].lowercased()
        let size = ["sha256": 32, "sha1": 20][algorithm]
        guard let size else {
            throw NoroshiError(
                .malformed, "Upload-Checksum uses '\(parts[0].prefix(20))'; this server checks sha256 and sha1.")
        }
        guard let digest = Data(base64Encoded: String(parts[1])), digest.count == size else {
            throw NoroshiError(.malformed, "The \(algorithm) in Upload-Checksum must be \(size) bytes in base64.")
        }
        return (algorithm, Array(digest))
    }

    /// 128 random bits in hex: the upload's name, which only its creator learns.
    static func newUploadID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexEncoded
    }

    /// An HTTP date (RFC 9110 IMF-fixdate), as `Upload-Expires` wants it.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

/// Adds `Tus-Resumable` to every answer under `/v1/uploads`, errors included (which it turns into the error
/// envelope itself so that they carry the header too), and keeps bodies off answers to HEAD.
struct TusHeadersMiddleware: RouterMiddleware {
    typealias Context = NoroshiRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as NoroshiError {
            response = ErrorMiddleware<Context>.response(for: error, context: context)
            if error.code == .preconditionFailed { response.headers[.tusVersion] = API.tusVersion }
        }
        response.headers[.tusResumable] = API.tusVersion
        if request.method == .head { response.body = ResponseBody() }
        return response
    }
}

extension HTTPField.Name {
    static let tusResumable = Self("Tus-Resumable")!
    static let tusVersion = Self("Tus-Version")!
    static let tusExtension = Self("Tus-Extension")!
    static let tusMaxSize = Self("Tus-Max-Size")!
    static let tusChecksumAlgorithm = Self("Tus-Checksum-Algorithm")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadDeferLength = Self("Upload-Defer-Length")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadExpires = Self("Upload-Expires")!
    static let uploadChecksum = Self("Upload-Checksum")!
    static let noroshiPhoto = Self("Noroshi-Photo")!
    static let noroshiQueuedSeconds = Self("Noroshi-Queued-Seconds")!
}
