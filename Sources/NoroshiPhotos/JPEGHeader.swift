import CJPEG
import Foundation

/// What a JPEG's header says, and the EXIF payload it carries, read with libjpeg.
public struct JPEGHeader: Sendable, Hashable {
    public enum ColorSpace: String, Sendable, Hashable {
        case grayscale, ycbcr, rgb, cmyk, ycck, unknown
    }

    public var width: Int
    public var height: Int
    public var components: Int
    public var colorSpace: ColorSpace
    public var progressive: Bool
    public var arithmetic: Bool
    /// The first EXIF APP1 payload (starting with `Exif\0\0`), if any.
    public var exifPayload: [UInt8]?

    public var megapixels: Double { Double(width) * Double(height) / 1_000_000 }

    /// Reads the header of a JPEG file through stdio, without loading the whole file.
    public static func read(file path: String) throws(PhotoError) -> JPEGHeader {
        try read { header, app1, app1Size, error, errorSize in
            nrs_jpeg_read_header_file(path, header, app1, app1Size, error, errorSize)
        }
    }

    /// Reads the header of a JPEG held in memory (what the fuzz target feeds it).
    public static func read(bytes: [UInt8]) throws(PhotoError) -> JPEGHeader {
        try read { header, app1, app1Size, error, errorSize in
            bytes.withUnsafeBufferPointer { buffer in
                nrs_jpeg_read_header_mem(buffer.baseAddress, buffer.count, header, app1, app1Size, error, errorSize)
            }
        }
    }

    /// Runs one of the C header readers and turns what it filled in into a `JPEGHeader`.
    private static func read(
        with reader: (
            UnsafeMutablePointer<nrs_jpeg_header>, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
            UnsafeMutablePointer<Int>, UnsafeMutablePointer<CChar>, Int
        ) -> Int32
    ) throws(PhotoError) -> JPEGHeader {
        var header = nrs_jpeg_header()
        var app1: UnsafeMutablePointer<UInt8>?
        var app1Size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { buffer in
            reader(&header, &app1, &app1Size, buffer.baseAddress!, buffer.count)
        }
        defer { nrs_jpeg_free(app1) }
        guard status == NRS_JPEG_OK else {
            throw PhotoError(.malformed, "not a readable JPEG: \(cString(message))")
        }
        let space: ColorSpace =
            switch header.color_space {
            case 1: .grayscale  // JCS_GRAYSCALE
            case 2: .rgb  // JCS_RGB
            case 3: .ycbcr  // JCS_YCbCr
            case 4: .cmyk  // JCS_CMYK
            case 5: .ycck  // JCS_YCCK
            default: .unknown
            }
        return JPEGHeader(
            width: Int(header.width),
            height: Int(header.height),
            components: Int(header.components),
            colorSpace: space,
            progressive: header.progressive != 0,
            arithmetic: header.arithmetic != 0,
            exifPayload: app1.map { Array(UnsafeBufferPointer(start: $0, count: app1Size)) }
        )
    }
}

/// Why a photo is refused or cannot be read; the message is meant for the person holding the file.
public struct PhotoError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// Empty, or not a photo of a kind Noroshi takes (HTTP 415).
        case notAPhoto = "not_a_photo"
        /// Claims to be a photo of a kind Noroshi takes but cannot be read, or is too large in pixels (HTTP 422).
        case malformed
        /// Larger in bytes than allowed (HTTP 413).
        case tooLarge = "too_large"
        /// The file cannot be opened or written.
        case io
        /// The disk holding the photos is full (ENOSPC): nothing was kept (HTTP 507).
        case diskFull = "disk_full"
    }

    public var code: Code
    public var message: String
    public var description: String { message }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
