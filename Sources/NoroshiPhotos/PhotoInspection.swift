import CJPEG
import Foundation

/// Limits on what Noroshi accepts as a photo; part of the daemon's configuration.
public struct PhotoLimits: Sendable, Hashable {
    /// The largest file, in bytes.
    public var maxBytes: Int
    /// The most pixels (width × height) a photo may have; decoding cost and memory follow from it.
    public var maxPixels: Int

    public init(maxBytes: Int = 40 * 1024 * 1024, maxPixels: Int = 100_000_000) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
    }
}

/// What Noroshi reads from one photo file without a server, or why it would refuse the file.
public struct PhotoInspection: Sendable, Hashable {
    public var file: String
    public var header: PhotoHeader?
    public var exif: EXIFMetadata?
    /// Why the file would be refused (no header then), or why its EXIF block was ignored.
    public var error: PhotoError?

    /// Whether Noroshi accepts the file (a bad EXIF block alone does not refuse a photo: the image is evidence).
    public var accepted: Bool { header != nil }

    /// Inspects the file at `path`: its kind, header, size limits, EXIF.
    public static func inspect(path: String, limits: PhotoLimits = PhotoLimits()) -> PhotoInspection {
        var result = PhotoInspection(file: path)
        let header: PhotoHeader
        do {
            header = try check(path: path, limits: limits)
        } catch {
            result.error = error
            // A photo refused for its image data (cut short, say) or for its pixel count still shows what its
            // header's EXIF says.
            if error.code == .malformed, let header = try? headerOnly(path: path, limits: limits) {
                result.exif = header.exifPayload.flatMap { try? EXIF.read(app1: $0) }
            }
            return result
        }
        result.header = header
        if let payload = header.exifPayload {
            do {
                result.exif = try EXIF.read(app1: payload)
            } catch {
                result.error = PhotoError(.malformed, error.description)
            }
        }
        return result
    }

    /// Checks a file as the upload does, before anything is stored, and returns its header: a JPEG, HEIF or PNG
    /// photo within the limits whose every byte decodes. With `readAll` false the image data is not read (the
    /// caller decodes it anyway).
    public static func check(path: String, limits: PhotoLimits, readAll: Bool = true) throws(PhotoError) -> PhotoHeader
    {
        let header = try headerOnly(path: path, limits: limits)
        try checkPixels(header, limits: limits)
        if readAll { try verify(path: path, format: header.format, limits: limits) }
        return header
    }

    /// The header of a photo file within the size limit, whatever its pixel count and image data; the first
    /// part of ``check(path:limits:readAll:)``, and all that `inspect` reads of a photo refused for the rest.
    static func headerOnly(path: String, limits: PhotoLimits) throws(PhotoError) -> PhotoHeader {
        let (kind, size) = try FileKind.identify(path: path)
        guard size > 0 else { throw PhotoError(.notAPhoto, "the file is empty") }
        guard case .photo(let format) = kind else {
            guard case .other(let what) = kind else { preconditionFailure() }
            throw PhotoError(.notAPhoto, "this is \(what), not a photo; \(PhotoFormat.accepted)")
        }
        guard size <= limits.maxBytes else {
            throw PhotoError(
                .tooLarge, "the file is \(size / 1_048_576) MB; the limit is \(limits.maxBytes / 1_048_576) MB")
        }
        return try PhotoHeader.read(path: path, format: format)
    }

    /// Reads every byte of the image data (a JPEG decode at 1/8 scale; HEIF and PNG decoded whole) so a file
    /// cut short in transit or damaged inside is refused now, not discovered when its copies are made.
    static func verify(path: String, format: PhotoFormat, limits: PhotoLimits) throws(PhotoError) {
        guard format == .jpeg else {
            _ = try DecodedPhoto.decode(path: path, format: format, limits: limits)
            return
        }
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { buffer in
            nrs_jpeg_verify_file(path, limits.maxPixels, buffer.baseAddress!, buffer.count)
        }
        guard status == NRS_JPEG_OK else { throw PhotoError(.malformed, "not a readable JPEG: \(cString(message))") }
    }

    /// "24 megapixels", "1.5 megapixels", "0.3 megapixels", "1000 pixels": whole from 10 MP, else to one decimal,
    /// and in pixels below 0.1 MP (the old whole numbers said "0 megapixels; the limit is 0 megapixels").
    static func megapixels(_ pixels: Int) -> String {
        let value = Double(pixels) / 1_000_000
        if value < 0.1 { return "\(pixels) pixels" }
        return (value >= 10 ? String(format: "%.0f", value) : String(format: "%.1f", value)) + " megapixels"
    }

    static func checkPixels(_ header: PhotoHeader, limits: PhotoLimits) throws(PhotoError) {
        guard header.width > 0, header.height > 0 else {
            throw PhotoError(.malformed, "the header gives no image size")
        }
        guard header.width * header.height <= limits.maxPixels else {
            throw PhotoError(
                .malformed,
                "the image is \(header.width)×\(header.height) (\(Self.megapixels(header.width * header.height))); "
                    + "the limit is \(Self.megapixels(limits.maxPixels))")
        }
    }
}
