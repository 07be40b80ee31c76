import CJPEG
import Foundation

/// One kind of small copy Noroshi makes of every photo.
public struct DerivativeSpec: Sendable, Hashable {
    /// `chat` or `thumb`: the name in URLs and file names.
    public var name: String
    /// The long side in pixels; a smaller photo keeps its own size (never upscaled).
    public var longSide: Int
    /// JPEG quality, 1–100.
    public var quality: Int

    public init(name: String, longSide: Int, quality: Int) {
        self.name = name
        self.longSide = longSide
        self.quality = quality
    }

    /// For chat rooms and the board: long side 1280 px, quality 80.
    public static let chat = DerivativeSpec(name: "chat", longSide: 1280, quality: 80)
    /// For lists and timelines: long side 320 px, quality 75, made from the chat copy.
    public static let thumb = DerivativeSpec(name: "thumb", longSide: 320, quality: 75)
    /// Both, in the order they are made.
    public static let standard = [chat, thumb]
}

/// A derivative: a baseline JPEG without metadata, upright, and its size as displayed.
public struct Derivative: Sendable, Hashable {
    public var spec: DerivativeSpec
    public var jpeg: Data
    public var width: Int
    public var height: Int
}

/// The derivatives of one photo, made from one decode.
public struct DerivativeSet: Sendable, Hashable {
    public var derivatives: [Derivative]
    /// The DCT scale libjpeg decoded at: 1, 2, 4 or 8 (for 1/1 … 1/8).
    public var scaleDenominator: Int
    /// The orientation that was applied (1–8).
    public var orientation: Int

    public subscript(name: String) -> Derivative? { derivatives.first { $0.spec.name == name } }
}

/// Makes the chat and thumb copies of photos with libjpeg.
public enum Derivatives {
    /// Decodes the photo at `path` (JPEG, HEIF or PNG) once and makes each spec in turn, the first from the
    /// decoded pixels and each further one from the previous; `orientation` (EXIF 1–8) is applied to all.
    public static func make(
        path: String, orientation: Int, specs: [DerivativeSpec] = DerivativeSpec.standard,
        limits: PhotoLimits = PhotoLimits()
    ) throws(PhotoError) -> DerivativeSet {
        guard case .photo(let format) = try FileKind.identify(path: path).kind else {
            throw PhotoError(.notAPhoto, "cannot make the small copies: not a photo")
        }
        guard format == .jpeg else {
            let image = try DecodedPhoto.decode(path: path, format: format, limits: limits)
            return try make(orientation: orientation, specs: specs) {
                targets, count, outputs, denominator, error, size in
                denominator.pointee = 1
                return nrs_jpeg_derive_pixels(
                    image.pixels, Int32(image.width), Int32(image.height), 3, Int32(orientation), targets, count,
                    outputs, error, size)
            }
        }
        return try make(orientation: orientation, specs: specs) { targets, count, outputs, denominator, error, size in
            nrs_jpeg_derive_file(
                path, Int32(orientation), targets, count, limits.maxPixels, outputs, denominator, error, size)
        }
    }

    /// The same from a JPEG held in memory (what the fuzz target feeds it).
    public static func make(
        bytes: [UInt8], orientation: Int, specs: [DerivativeSpec] = DerivativeSpec.standard,
        limits: PhotoLimits = PhotoLimits()
    ) throws(PhotoError) -> DerivativeSet {
        try make(orientation: orientation, specs: specs) { targets, count, outputs, denominator, error, errorSize in
            bytes.withUnsafeBufferPointer { buffer in
                nrs_jpeg_derive_mem(
                    buffer.baseAddress, buffer.count, Int32(orientation), targets, count, limits.maxPixels, outputs,
                    denominator, error, errorSize)
            }
        }
    }

    /// Runs one of the C derive functions and collects its outputs.
    private static func make(
        orientation: Int,
        specs: [DerivativeSpec],
        with derive: (
            UnsafePointer<nrs_jpeg_target>, Int32, UnsafeMutablePointer<nrs_jpeg_output>, UnsafeMutablePointer<Int32>,
            UnsafeMutablePointer<CChar>, Int
        ) -> Int32
    ) throws(PhotoError) -> DerivativeSet {
        precondition((1...4).contains(specs.count), "between one and four derivatives")
        let targets = specs.map { nrs_jpeg_target(long_side: Int32($0.longSide), quality: Int32($0.quality)) }
        var outputs = [nrs_jpeg_output](repeating: nrs_jpeg_output(), count: specs.count)
        var denominator: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { buffer in
            derive(targets, Int32(targets.count), &outputs, &denominator, buffer.baseAddress!, buffer.count)
        }
        defer { for output in outputs { nrs_jpeg_free(output.data) } }
        guard status == NRS_JPEG_OK else {
            throw PhotoError(.malformed, "cannot make the small copies: \(cString(message))")
        }
        let derivatives = zip(specs, outputs).map { spec, output in
            Derivative(
                spec: spec, jpeg: Data(bytes: output.data, count: output.size), width: Int(output.width),
                height: Int(output.height))
        }
        return DerivativeSet(
            derivatives: derivatives, scaleDenominator: Int(denominator),
            orientation: (1...8).contains(orientation) ? orientation : 1)
    }

    /// Checks the file as an upload would be checked, reads the orientation from its EXIF (1 when
    /// absent or unreadable, and for HEIF, which turns itself) and makes the standard copies.
    public static func make(path: String, limits: PhotoLimits = PhotoLimits()) throws(PhotoError) -> DerivativeSet {
        let header = try PhotoInspection.check(path: path, limits: limits, readAll: false)
        return try make(path: path, orientation: header.copyOrientation(), limits: limits)
    }
}

/// Pixels decoded from a JPEG: for tests and the benchmark's quality measure.
public struct DecodedImage: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// 1 (grayscale) or 3 (RGB).
    public var components: Int
    /// Interleaved rows, top to bottom.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, components: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.components = components
        self.pixels = pixels
    }

    /// The samples of the pixel at (x, y).
    public func pixel(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * components
        return pixels[start..<start + components]
    }

    /// Which Huffman decoder decodes a JPEG, for comparing them: every photo goes through Noroshi's own.
    public enum HuffmanDecoder: Sendable {
        /// Noroshi's (Sources/CJPEG/huffman.c), for baseline and progressive Huffman files, with BMI2 for
        /// progressive refinement scans where it is fast.
        case noroshi
        /// Noroshi's without BMI2, as on CPUs where pdep is slow.
        case noroshiPortable
        /// libjpeg-turbo's own.
        case libjpegTurbo

        var code: Int32 {
            switch self {
            case .noroshi: NRS_HUFFMAN_NOROSHI
            case .noroshiPortable: NRS_HUFFMAN_PORTABLE
            case .libjpegTurbo: NRS_HUFFMAN_LIBJPEG
            }
        }
    }

    /// Decodes a whole JPEG held in memory, with Noroshi's Huffman decoder unless `huffman` says otherwise.
    public static func decode(_ jpeg: Data, huffman: HuffmanDecoder = .noroshi) throws(PhotoError) -> DecodedImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        var components: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = jpeg.withUnsafeBytes { bytes in
            message.withUnsafeMutableBufferPointer { buffer in
                nrs_jpeg_decode(
                    bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, huffman.code,
                    &pixels, &width, &height, &components, buffer.baseAddress!, buffer.count)
            }
        }
        defer { nrs_jpeg_free(pixels) }
        guard status == NRS_JPEG_OK, let pixels else { throw PhotoError(.malformed, cString(message)) }
        let count = Int(width) * Int(height) * Int(components)
        return DecodedImage(
            width: Int(width), height: Int(height), components: Int(components),
            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Encodes pixels as a baseline JPEG. With 4 components the samples are CMYK stored inverted, as
    /// Adobe applications write them.
    public func encode(quality: Int) throws(PhotoError) -> Data {
        var data: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { buffer in
            nrs_jpeg_encode(
                pixels, Int32(width), Int32(height), Int32(components), Int32(quality), &data, &size,
                buffer.baseAddress!, buffer.count)
        }
        defer { nrs_jpeg_free(data) }
        guard status == NRS_JPEG_OK, let data else { throw PhotoError(.malformed, cString(message)) }
        return Data(bytes: data, count: size)
    }
}

/// The text of a NUL-terminated C message buffer, without the line break some libraries end it with.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
}
