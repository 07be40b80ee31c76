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
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("image/jpeg") else {
            throw NoroshiError(
                .unsupportedMediaType,
                "Send the photo as the request body with 'Content-Type: image/jpeg' (got '\(contentType.prefix(60))').")
        }
        let limit = photos.limits.maxBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw NoroshiError(
                .tooLarge, "The photo is \(length / 1_048_576) MB; the limit is \(limit / 1_048_576) MB.")
        }
        let upload = try photoError { () throws(PhotoError) in try photos.files.beginUpload() }
        var kept = false
        defer { if !kept { upload.discard() } }
        for try await buffer in request.body {
            guard upload.bytes + buffer.readableBytes <= limit else {
                throw NoroshiError(.tooLarge, "The photo is larger than the limit of \(limit / 1_048_576) MB.")
            }
            try photoError { () throws(PhotoError) in
                var failure: PhotoError?
                buffer.withUnsafeReadableBytes { bytes in
                    do throws(PhotoError) { try upload.write(bytes) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        }
        let sha256 = try photoError { () throws(PhotoError) in try upload.finish() }
        let inspection = PhotoInspection.inspect(path: upload.url.path, limits: photos.limits)
        guard let header = inspection.header else {
            throw Self.noroshiError(inspection.error ?? PhotoError(.malformed, "unreadable"))
        }
        try photoError { () throws(PhotoError) in try photos.files.keep(upload, sha256: sha256) }
        kept = true
        let exif = inspection.exif
        let photo = Photo(
            sha256: sha256, bytes: upload.bytes, width: header.width, height: header.height,
            orientation: exif?.orientation, takenAt: exif?.takenAt(assumedOffset: photos.assumedUTCOffset),
            takenAtText: exif?.dateTimeOriginal.map { text in
                [text, exif?.offsetTimeOriginal].compactMap { $0 }.joined(separator: " ")
            },
            latitude: exif?.latitude, longitude: exif?.longitude, altitude: exif?.altitude, make: exif?.make,
            model: exif?.model, exifError: inspection.error?.message, receivedAt: Date())
        let receipt = try await store.attachPhoto(photo, toReport: reportID, by: token.name)
        if receipt.created {
            photoSignal.notify()
            context.logger.info(
                "Photo received",
                metadata: ["report.id": "\(reportID)", "photo.sha256": "\(sha256)", "photo.bytes": "\(upload.bytes)"])
        }
        return try JSONResponse.make(receipt, status: receipt.created ? .created : .ok)
    }

    /// `GET /v1/photos/{sha256}`: the original, byte for byte.
    @Sendable func downloadPhoto(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        let sha256 = try photoHash(context)
        return try await servePhoto(try photoSettings().files.original(sha256), sha256: sha256, context: context)
    }

    /// `GET /v1/photos/{sha256}/chat` and `/thumb`: the small copies, once made.
    @Sendable func downloadPhotoCopy(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        let sha256 = try photoHash(context)
        let variant = try context.parameters.require("variant")
        guard DerivativeSpec.standard.contains(where: { $0.name == variant }) else {
            throw NoroshiError(.notFound, "Photos have 'chat' and 'thumb' copies, not '\(variant.prefix(20))'.")
        }
        guard let photo = try await store.photo(sha256: sha256) else {
            throw NoroshiError(.notFound, "No photo has SHA-256 \(sha256).")
        }
        switch photo.derivatives {
        case .pending:
            throw NoroshiError(.notFound, "The \(variant) copy of this photo is still being made; try again shortly.")
        case .failed:
            throw NoroshiError(
                .notFound, "This photo has no \(variant) copy: \(photo.derivativeError ?? "it could not be made").")
        case .ready:
            return try await servePhoto(
                try photoSettings().files.derivative(sha256, variant), sha256: sha256, context: context)
        }
    }

    func servePhoto(_ url: URL, sha256: String, context: NoroshiRequestContext) async throws -> Response {
        guard try await store.photo(sha256: sha256) != nil, FileManager.default.fileExists(atPath: url.path) else {
            throw NoroshiError(.notFound, "No photo has SHA-256 \(sha256).")
        }
        let body = try await FileIO().loadFile(path: url.path, context: context)
        return Response(
            status: .ok,
            headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=31536000, immutable"],
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

    /// Runs file work, turning a PhotoError into the NoroshiError the client sees.
    @discardableResult
    func photoError<T>(_ body: () throws(PhotoError) -> T) throws(NoroshiError) -> T {
        do {
            return try body()
        } catch {
            throw Self.noroshiError(error)
        }
    }

    static func noroshiError(_ error: PhotoError) -> NoroshiError {
        switch error.code {
        case .notJPEG: NoroshiError(.unsupportedMediaType, "The photo is refused: \(error.message).")
        case .malformed: NoroshiError(.invalidInput, "The photo is refused: \(error.message).")
        case .tooLarge: NoroshiError(.tooLarge, "The photo is refused: \(error.message).")
        case .io: NoroshiError(.unavailable, "The photo cannot be stored now.", cause: error)
        }
    }
}
