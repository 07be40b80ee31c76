import CHEIF
import CJPEG
import CPNG
import Foundation

/// The kinds of image file Noroshi takes as photos. The original is always kept byte for byte; the chat and
/// thumb copies are JPEGs whatever the original is.
public enum PhotoFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// What cameras and most phones write.
    case jpeg
    /// HEIF with HEVC images (`.heic`): what iPhones, and many Android phones, take by default.
    case heif
    /// Screenshots of maps and messages.
    case png

    /// The media type an original is served as.
    public var mediaType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .heif: "image/heic"
        case .png: "image/png"
        }
    }

    /// The usual file name extension.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .heif: "heic"
        case .png: "png"
        }
    }

    /// The name a person knows it by.
    public var name: String {
        switch self {
        case .jpeg: "JPEG"
        case .heif: "HEIC/HEIF"
        case .png: "PNG"
        }
    }

    /// What every refusal of another kind of file says is accepted.
    public static let accepted = "Noroshi takes JPEG, HEIC/HEIF and PNG photos"
}

/// What a file is, from its first bytes: a photo Noroshi takes, or what else it is.
public enum FileKind: Sendable, Hashable {
    case photo(PhotoFormat)
    /// Something else, described for the person holding it: "a QuickTime video (.mov)".
    case other(String)

    /// How many leading bytes `identify` looks at.
    public static let headLength = 64

    /// The file's kind from its first bytes (at least `headLength` of them when the file has as many).
    public static func identify(_ head: [UInt8]) -> FileKind {
        func starts(_ text: String, at offset: Int = 0) -> Bool {
            let bytes = Array(text.utf8)
            return head.count >= offset + bytes.count && Array(head[offset..<offset + bytes.count]) == bytes
        }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .photo(.jpeg) }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .photo(.png) }
        if starts("ftyp", at: 4) { return isoMedia(head) }
        if starts("%PDF-") { return .other("a PDF document (.pdf)") }
        if starts("GIF87a") || starts("GIF89a") { return .other("a GIF image (.gif)") }
        if starts("RIFF") && starts("WEBP", at: 8) { return .other("a WebP image (.webp)") }
        if starts("RIFF") && starts("AVI ", at: 8) { return .other("an AVI video (.avi)") }
        if starts("RIFF") && starts("WAVE", at: 8) { return .other("a WAV sound file (.wav)") }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return .other("a TIFF image or a camera's raw file (.tif, .dng, .nef, .arw)")
        }
        if head.starts(with: [0x49, 0x49, 0x55, 0x00]) { return .other("a Panasonic raw photo (.rw2)") }
        if starts("FUJIFILMCCD-RAW") { return .other("a Fujifilm raw photo (.raf)") }
        if starts("BM") && head.count >= 14 { return .other("a BMP image (.bmp)") }
        if starts("8BPS") { return .other("a Photoshop document (.psd)") }
        if head.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return .other("a Matroska or WebM video (.mkv, .webm)") }
        if head.starts(with: [0x00, 0x00, 0x01, 0xBA]) || head.starts(with: [0x00, 0x00, 0x01, 0xB3]) {
            return .other("an MPEG video (.mpg)")
        }
        if starts("ID3") { return .other("an MP3 sound file (.mp3)") }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return .other("a ZIP archive (or a Word, Excel or PowerPoint document, which are ZIP archives)")
        }
        if head.starts(with: [0x1F, 0x8B]) { return .other("a gzip-compressed file (.gz)") }
        if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) { return .other("an old Office document (.doc, .xls)") }
        return text(head) ?? .other("a file of a kind Noroshi does not know (it starts with \(hex(head.prefix(8))))")
    }

    /// The file at `path`: its kind and its size in bytes.
    public static func identify(path: String) throws(PhotoError) -> (kind: FileKind, bytes: Int) {
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let size = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            let head = Array(try handle.read(upToCount: headLength) ?? Data())
            return (identify(head), size)
        } catch {
            throw PhotoError(.io, "cannot read \(path): \((error as NSError).localizedDescription)")
        }
    }

    /// An ISO base media file (`ftyp` box): HEIF, or a video, by its brands.
    private static func isoMedia(_ head: [UInt8]) -> FileKind {
        func brand(at offset: Int) -> String? {
            guard head.count >= offset + 4 else { return nil }
            return String(decoding: head[offset..<offset + 4], as: UTF8.self)
        }
        let boxSize = head.count >= 4 ? Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3]) : 0
        let major = brand(at: 8) ?? ""
        let compatible = stride(from: 16, to: min(boxSize, head.count), by: 4).compactMap { brand(at: $0) }
        let brands = Set([major] + compatible)
        let heif: Set = ["heic", "heix", "heim", "heis", "hevc", "hevx", "heif"]
        if !brands.isDisjoint(with: heif) { return .photo(.heif) }
        if brands.contains("avif") || brands.contains("avis") { return .other("an AVIF image (.avif)") }
        if brands.contains("mif1") || brands.contains("msf1") { return .photo(.heif) }
        switch major {
        case "qt  ": return .other("a QuickTime video (.mov)")
        case "M4A ", "M4B ": return .other("an MPEG-4 sound file (.m4a)")
        case "crx ": return .other("a Canon raw photo (.cr3)")
        case let brand where brand.hasPrefix("3g"): return .other("a 3GP video (.3gp)")
        default: return .other("an MP4 video (.mp4)")
        }
    }

    /// Text: an HTML page, an XML or JSON document, or plain text (UTF-8 without control characters).
    private static func text(_ head: [UInt8]) -> FileKind? {
        guard !head.isEmpty,
            head.allSatisfy({ $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }),
            String(validating: head.prefix(head.count - trailingPartialCharacter(head)), as: UTF8.self) != nil
        else { return nil }
        let start = String(decoding: head, as: UTF8.self).drop { $0.isWhitespace || $0 == "\u{FEFF}" }.lowercased()
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") { return .other("a web page (HTML)") }
        if start.hasPrefix("<svg") || start.hasPrefix("<?xml") && start.contains("<svg") {
            return .other("an SVG drawing (.svg)")
        }
        if start.hasPrefix("<?xml") { return .other("an XML document") }
        if start.hasPrefix("{") || start.hasPrefix("[") { return .other("a JSON document") }
        return .other("a text file")
    }

    /// Bytes at the end of `head` that begin a UTF-8 character cut off by the 64-byte window.
    private static func trailingPartialCharacter(_ head: [UInt8]) -> Int {
        for back in 1...min(3, head.count) {
            let byte = head[head.count - back]
            if byte & 0xC0 == 0xC0 {
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                return length > back ? back : 0
            }
            if byte & 0x80 == 0 { return 0 }
        }
        return 0
    }

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { String(format: "%02X", $0) }.joined(separator: " ")
    }
}

/// What Noroshi reads from a photo's header, whatever its format: size, EXIF block, and a word on its
/// encoding.
public struct PhotoHeader: Sendable, Hashable {
    public var format: PhotoFormat
    /// The size in pixels as stored (JPEG, PNG: the EXIF orientation may still turn it) or as displayed
    /// (HEIF: the file's own rotation, applied in decoding).
    public var width: Int
    public var height: Int
    /// The EXIF block as a JPEG APP1 payload holds it (`Exif\0\0` and the TIFF structure), if any.
    public var exifPayload: [UInt8]?
    /// The JPEG header, for JPEGs.
    public var jpeg: JPEGHeader?
    /// How it is encoded, for people: "JPEG, ycbcr", "HEIC/HEIF, 10-bit", "PNG, RGB with alpha".
    public var encoding: String

    public var megapixels: Double { Double(width) * Double(height) / 1_000_000 }

    /// Whether the EXIF orientation turns this photo (not a HEIF, which turns itself; see `copyOrientation`).
    public var appliesEXIFOrientation: Bool { format != .heif }

    /// The EXIF orientation the copies apply. A HEIF file's rotation and mirroring are its own (`irot`,
    /// `imir`) and are applied in decoding; its EXIF orientation describes the stored pixels and is ignored,
    /// as the HEIF standard says (applying both would turn an iPhone photo twice).
    /// An unreadable EXIF block counts as none.
    public func copyOrientation() -> Int {
        guard appliesEXIFOrientation, let payload = exifPayload,
            let orientation = try? EXIF.read(app1: payload)?.orientation,
            (1...8).contains(orientation)
        else { return 1 }
        return orientation
    }

    /// The header of a JPEG.
    init(jpeg: JPEGHeader) {
        self.init(
            format: .jpeg, width: jpeg.width, height: jpeg.height, exifPayload: jpeg.exifPayload, jpeg: jpeg,
            encoding: "JPEG, \(jpeg.colorSpace.rawValue)\(jpeg.progressive ? ", progressive" : "")")
    }

    init(format: PhotoFormat, width: Int, height: Int, exifPayload: [UInt8]?, jpeg: JPEGHeader?, encoding: String) {
        self.format = format
        self.width = width
        self.height = height
        self.exifPayload = exifPayload
        self.jpeg = jpeg
        self.encoding = encoding
    }

    /// Reads the header of the file at `path`, which `format` says it is; nothing is decoded.
    static func read(path: String, format: PhotoFormat) throws(PhotoError) -> PhotoHeader {
        switch format {
        case .jpeg: return PhotoHeader(jpeg: try JPEGHeader.read(file: path))
        case .heif: return try readHEIF(path: path)
        case .png: return try readPNG(path: path)
        }
    }

    private static func readHEIF(path: String) throws(PhotoError) -> PhotoHeader {
        let (info, exif) = try readInfo(nrs_heif_info(), format: .heif) { info, exif, size, error, errorSize in
            nrs_heif_read_info(path, info, exif, size, error, errorSize)
        }
        var encoding = "HEIC/HEIF"
        if info.bit_depth > 8 { encoding += ", \(info.bit_depth)-bit" }
        if info.has_alpha != 0 { encoding += ", with alpha" }
        if info.image_count > 1 { encoding += ", \(info.image_count) images (the primary one is used)" }
        return PhotoHeader(
            format: .heif, width: Int(info.width), height: Int(info.height), exifPayload: exif, jpeg: nil,
            encoding: encoding)
    }

    private static func readPNG(path: String) throws(PhotoError) -> PhotoHeader {
        let (info, exif) = try readInfo(nrs_png_info(), format: .png) { info, exif, size, error, errorSize in
            nrs_png_read_info(path, info, exif, size, error, errorSize)
        }
        let colour =
            switch info.color_type {
            case 0: "greyscale"
            case 2: "RGB"
            case 3: "palette"
            case 4: "greyscale with alpha"
            case 6: "RGB with alpha"
            default: "colour type \(info.color_type)"
            }
        return PhotoHeader(
            format: .png, width: Int(info.width), height: Int(info.height), exifPayload: exif, jpeg: nil,
            encoding: "PNG, \(colour), \(info.bit_depth)-bit\(info.interlaced != 0 ? ", interlaced" : "")")
    }

    /// Runs a C header reader (CHEIF's or CPNG's: both return 0 for success and a malloc'd EXIF payload).
    private static func readInfo<Info>(
        _ empty: Info, format: PhotoFormat,
        with reader: (
            UnsafeMutablePointer<Info>, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
            UnsafeMutablePointer<CChar>, Int
        ) -> Int32
    ) throws(PhotoError) -> (Info, [UInt8]?) {
        var info = empty
        var exif: UnsafeMutablePointer<UInt8>?
        var exifSize = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { buffer in
            reader(&info, &exif, &exifSize, buffer.baseAddress!, buffer.count)
        }
        defer { free(exif) }
        guard status == 0 else { throw PhotoError(.malformed, "not a readable \(format.name): \(cString(message))") }
        return (info, exif.map { Array(UnsafeBufferPointer(start: $0, count: exifSize)) })
    }
}

/// A HEIF or PNG photo decoded whole to 8-bit RGB, upright as its format defines it: the input of its copies
/// and the proof, at upload, that every byte of it decodes.
struct DecodedPhoto: ~Copyable {
    let pixels: UnsafeMutablePointer<UInt8>
    let width: Int
    let height: Int

    static func decode(path: String, format: PhotoFormat, limits: PhotoLimits) throws(PhotoError) -> DecodedPhoto {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { buffer -> Int32 in
            switch format {
            case .heif:
                nrs_heif_decode_file(
                    path, limits.maxPixels, &pixels, &width, &height, buffer.baseAddress!, buffer.count)
            case .png:
                nrs_png_decode_file(path, limits.maxPixels, &pixels, &width, &height, buffer.baseAddress!, buffer.count)
            case .jpeg:
                preconditionFailure("JPEGs are decoded by CJPEG, plane by plane")
            }
        }
        guard status == 0, let pixels else {
            throw PhotoError(.malformed, "not a readable \(format.name): \(cString(message))")
        }
        return DecodedPhoto(pixels: pixels, width: Int(width), height: Int(height))
    }

    deinit { free(pixels) }
}
