import Foundation
import Hummingbird
import Logging
import NoroshiCore
import NoroshiPhotos
import NoroshiStorage

extension API {
    /// `POST /v1/reports/{id}/photos`: an `image/jpeg` body, streamed to a file while its SHA-256 is
    /// computed, checked, synced and renamed to its content address before the 201.
    @Sendable func uploadPhoto(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .field)
        let photos = try photoSettings()
        let reportID = try reportID(context)
        _ = try await store.report(id: reportID)  // 404 before any byte is read
        // The file's own bytes say what it is (phones label HEIC photos in several ways); the header only has
        // to say it is an image.
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("image/") || contentType.hasPrefix("application/octet-stream") else {
            throw NoroshiError(
                .unsupportedMediaType,
                "Send the photo as the request body with its type, e.g. 'Content-Type: image/jpeg', 'image/heic' or "
                    + "'image/png' (got '\(Terminal.visible(String(contentType.prefix(60))))').")
        }
        let limit = photos.limits.maxBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw NoroshiError(
                .tooLarge, "The photo is \(length / 1_048_576) MB; the limit is \(limit / 1_048_576) MB.")
        }
        let (upload, sha256): (Upload, String)
        do {
            (upload, sha256) = try await receive(request.body, into: photos.files, limit: limit)
        } catch let error as PhotoError {
            throw Self.noroshiError(error)
        }
        let queued = try request.headers[.noroshiQueuedSeconds].map { try Self.queuedSeconds($0) }
        let receipt = try await acceptPhoto(
            at: upload.url, sha256: sha256, bytes: Int64(upload.bytes), reportID: reportID, actor: token.principal,
            addedAt: queued.map { store.clock.now().addingTimeInterval(-$0) }, context: context)
        return try JSONResponse.make(receipt, status: receipt.created ? .created : .ok)
    }

    /// Checks a received, synced file exactly as every photo is checked (a JPEG, HEIF or PNG within the limits
    /// whose every byte decodes), moves it to
    /// its content address and attaches it to the report: the one way a photo enters the store, for plain and
    /// resumable uploads alike. The file is gone afterwards, kept or removed. The check (a full decode) runs
    /// off the cooperative pool.
    func acceptPhoto(
        at file: URL, sha256: String, bytes: Int64, reportID: Int64, actor: Principal, addedAt: Date? = nil,
        context: NoroshiRequestContext
    ) async throws -> PhotoReceipt {
        let photos = try photoSettings()
        let (inspection, header) = try await Blocking.run { () throws(NoroshiError) -> (PhotoInspection, PhotoHeader) in
            do throws(PhotoError) {
                let inspection = PhotoInspection.inspect(path: file.path, limits: photos.limits)
                guard let header = inspection.header else {
                    throw inspection.error ?? PhotoError(.malformed, "unreadable")
                }
                try photos.files.keep(file: file, sha256: sha256)
                return (inspection, header)
            } catch {
                unlink(file.path)
                throw Self.noroshiError(error)
            }
        }
        let exif = inspection.exif
        let photo = Photo(
            sha256: sha256, bytes: Int(bytes), width: header.width, height: header.height,
            // What the copies apply: a HEIF's size is already as displayed, its EXIF orientation not for them.
            orientation: header.appliesEXIFOrientation ? exif?.orientation : 1,
            takenAt: exif?.takenAt(assumedOffset: photos.assumedUTCOffset),
            takenAtText: exif?.dateTimeOriginal.map { text in
                [text, exif?.offsetTimeOriginal].compactMap { $0 }.joined(separator: " ")
            },
            latitude: exif?.latitude, longitude: exif?.longitude, altitude: exif?.altitude, make: exif?.make,
            model: exif?.model, exifError: inspection.error?.message ?? exif?.unreadableSummary, receivedAt: Date())
        let receipt = try await store.attachPhoto(photo, toReport: reportID, by: actor, addedAt: addedAt)
        if receipt.created {
            photoSignal.notify()
            context.logger.info(
                "Photo received",
                metadata: ["report.id": "\(reportID)", "photo.sha256": "\(sha256)", "photo.bytes": "\(bytes)"])
        }
        return receipt
    }

    /// Writes the body to a new upload file, synced; returns it with its SHA-256. Nothing is left on
    /// disk when this throws.
    func receive(_ body: RequestBody, into files: PhotoFiles, limit: Int) async throws -> (Upload, String) {
        let upload = try files.beginUpload()
        do {
            for try await buffer in body {
                guard upload.bytes + buffer.readableBytes <= limit else {
                    throw NoroshiError(.tooLarge, "The photo is larger than the limit of \(limit / 1_048_576) MB.")
                }
                try buffer.withUnsafeReadableBytes { try upload.write($0) }
            }
            let sha256 = try await Blocking.run { () throws(PhotoError) in try upload.finish() }
            return (upload, sha256)
        } catch {
            upload.discard()
            throw error
        }
    }

    /// `GET /v1/photos/{sha256}`: the original, byte for byte.
    @Sendable func downloadPhoto(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        return try await originalPhoto(try photoHash(context), context: context)
    }

    /// The original of a photo, for a caller that has checked who may see it.
    func originalPhoto(_ sha256: String, context: NoroshiRequestContext) async throws -> Response {
        guard let photo = try await store.photo(sha256: sha256) else {
            throw NoroshiError(.notFound, "No photo has SHA-256 \(sha256).")
        }
        guard photo.previewOnly != true else {
            throw NoroshiError(
                .notFound,
                "Only a preview of this photo has arrived so far (its chat copy); the original is on its way.")
        }
        let file = try photoSettings().files.original(sha256)
        let format = try? FileKind.identify(path: file.path).kind
        guard case .photo(let format) = format else {
            return try await servePhoto(file, context: context)
        }
        return try await servePhoto(file, type: format.mediaType, context: context)
    }

    /// `GET /v1/photos/{sha256}/chat` and `/thumb`: the small copies, once made.
    @Sendable func downloadPhotoCopy(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        return try await photoCopy(
            try photoHash(context), variant: try context.parameters.require("variant"), context: context)
    }

    /// A copy (`chat`, `thumb`) of a photo, for a caller that has checked who may see it.
    func photoCopy(_ sha256: String, variant: String, context: NoroshiRequestContext) async throws -> Response {
        guard DerivativeSpec.standard.contains(where: { $0.name == variant }) else {
            throw NoroshiError(.notFound, "Photos have 'chat' and 'thumb' copies, not '\(variant.prefix(20))'.")
        }
        guard let photo = try await store.photo(sha256: sha256) else {
            throw NoroshiError(.notFound, "No photo has SHA-256 \(sha256).")
        }
        if photo.previewOnly == true, variant == "chat" {
            return try await servePhoto(try photoSettings().files.derivative(sha256, variant), context: context)
        }
        switch photo.derivatives {
        case .pending:
            throw NoroshiError(.notFound, "The \(variant) copy of this photo is still being made; try again shortly.")
        case .failed:
            throw NoroshiError(
                .notFound, "This photo has no \(variant) copy: \(photo.derivativeError ?? "it could not be made").")
        case .ready:
            return try await servePhoto(try photoSettings().files.derivative(sha256, variant), context: context)
        }
    }

    /// Streams a photo file known to the store (the caller has checked).
    func servePhoto(_ url: URL, type: String = "image/jpeg", context: NoroshiRequestContext) async throws -> Response {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw NoroshiError(.notFound, "The file of this photo is missing from the data directory.")
        }
        let body = try await FileIO().loadFile(path: url.path, context: context)
        return Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "private, max-age=31536000, immutable"],
            body: body)
    }

    func photoSettings() throws(NoroshiError) -> PhotoSettings {
        guard let photos else { throw NoroshiError(.unavailable, "This server does not store photos.") }
        return photos
    }

    func photoHash(_ context: NoroshiRequestContext) throws -> String {
        let text = try context.parameters.require("sha256").lowercased()
        guard text.count == 64, text.allSatisfy({ $0.isHexDigit }) else {
            throw NoroshiError(.invalidInput, "A photo is named by its SHA-256: 64 hexadecimal digits.")
        }
        return text
    }

    /// How long a photo waited in the device's queue (`Noroshi-Queued-Seconds`, or `queued_seconds` in a
    /// resumable upload's metadata): it is then dated that long before it arrived, as a queued report is.
    static func queuedSeconds(_ text: String) throws(NoroshiError) -> TimeInterval {
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= ReportSubmission.maxQueuedSeconds
        else {
            throw NoroshiError(
                .invalidInput, "The photo's queued seconds must be a number from 0 to 2592000 (30 days).")
        }
        return seconds
    }

    static func noroshiError(_ error: PhotoError) -> NoroshiError {
        switch error.code {
        case .notAPhoto: NoroshiError(.unsupportedMediaType, "The photo is refused: \(error.message).")
        case .malformed: NoroshiError(.invalidInput, "The photo is refused: \(error.message).")
        case .tooLarge: NoroshiError(.tooLarge, "The photo is refused: \(error.message).")
        case .io: NoroshiError(.unavailable, "The photo cannot be stored now.", cause: error)
        case .diskFull:
            NoroshiError(
                .insufficientStorage,
                "The server's disk is full; the photo was not stored. Send it again once an administrator has freed "
                    + "space.", cause: error)
        }
    }
}
