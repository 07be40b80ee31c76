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
    public var header: JPEGHeader?
    public var exif: EXIFMetadata?
    /// Why the file would be refused (no header then), or why its EXIF block was ignored.
    public var error: PhotoError?

    /// Whether Noroshi accepts the file (a bad EXIF block alone does not refuse a photo: the image is evidence).
    public var accepted: Bool { header != nil }

    /// Inspects the file at `path`: magic bytes, header, size limits, EXIF.
    public static func inspect(path: String, limits: PhotoLimits = PhotoLimits()) -> PhotoInspection {
        var result = PhotoInspection(file: path)
        let header: JPEGHeader
        do {
            header = try check(path: path, limits: limits)
        } catch {
            result.error = error
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

    /// Checks a file as the upload does, before anything is stored, and returns its header. With
    /// `readAll` false the entropy-coded data is not read (the caller decodes it anyway).
    public static func check(path: String, limits: PhotoLimits, readAll: Bool = true) throws(PhotoError) -> JPEGHeader {
        let size: Int
        let magic: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            size = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            magic = Array(try handle.read(upToCount: 3) ?? Data())
        } catch {
            throw PhotoError(.io, "cannot read \(path): \((error as NSError).localizedDescription)")
        }
        guard size > 0 else { throw PhotoError(.notJPEG, "the file is empty") }
        guard magic == [0xFF, 0xD8, 0xFF] else {
            throw PhotoError(.notJPEG, "not a JPEG (it does not start with the JPEG marker FF D8 FF)")
        }
        guard size <= limits.maxBytes else {
            throw PhotoError(
                .tooLarge, "the file is \(size / 1_048_576) MB; the limit is \(limits.maxBytes / 1_048_576) MB")
        }
        let header = try JPEGHeader.read(file: path)
        try checkPixels(header, limits: limits)
        if readAll { try verify(path: path, limits: limits) }
        return header
    }

    /// Reads every entropy-coded byte (a decode at 1/8 scale) so a file cut short in transit or damaged
    /// inside is refused now, not discovered when its copies are made.
    static func verify(path: String, limits: PhotoLimits) throws(PhotoError) {
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { buffer in
            nrs_jpeg_verify_file(path, limits.maxPixels, buffer.baseAddress!, buffer.count)
        }
        guard status == NRS_JPEG_OK else { throw PhotoError(.malformed, "not a readable JPEG: \(cString(message))") }
    }

    static func checkPixels(_ header: JPEGHeader, limits: PhotoLimits) throws(PhotoError) {
        guard header.width > 0, header.height > 0 else {
            throw PhotoError(.malformed, "the header gives no image size")
        }
        guard header.width * header.height <= limits.maxPixels else {
            throw PhotoError(
                .malformed,
                "the image is \(header.width)×\(header.height) (\(Int(header.megapixels)) megapixels); "
                    + "the limit is \(limits.maxPixels / 1_000_000) megapixels")
        }
    }
}
