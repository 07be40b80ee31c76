import Foundation
import NoroshiPhotos
import NoroshiTesting
import Testing

/// Photos from any phone: what a file is, HEIF (libheif) and PNG (libpng) read and copied like JPEGs, and
/// every other kind of file refused with what it is.
@Suite struct FormatTests {
    static func inspect(_ name: String) -> PhotoInspection {
        PhotoInspection.inspect(path: FixtureFiles.photo(name).path)
    }

    @Test(arguments: [
        ([0xFF, 0xD8, 0xFF, 0xE1], "jpeg"),
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D], "png"),
        (box("heic", ["mif1", "heic"]), "heif"),
        (box("mif1", ["mif1", "heic", "miaf"]), "heif"),
        (box("heix", []), "heif"),
        (box("avif", ["avif", "mif1", "miaf"]), "an AVIF image (.avif)"),
        (box("qt  ", ["qt  "]), "a QuickTime video (.mov)"),
        (box("isom", ["isom", "iso2", "avc1", "mp41"]), "an MP4 video (.mp4)"),
        (box("3gp4", ["3gp4"]), "a 3GP video (.3gp)"),
        (Array("%PDF-1.7\n%âãÏÓ".utf8), "a PDF document (.pdf)"),
        (Array("GIF89a\u{1}\u{0}".utf8), "a GIF image (.gif)"),
        (Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), "a WebP image (.webp)"),
        ([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], "a TIFF image or a camera's raw file (.tif, .dng, .nef, .arw)"),
        (
            [0x50, 0x4B, 0x03, 0x04, 0x14, 0],
            "a ZIP archive (or a Word, Excel or PowerPoint document, which are ZIP archives)"
        ),
        (Array("<!DOCTYPE html><html><body>".utf8), "a web page (HTML)"),
        (Array("火災 at the station\n".utf8), "a text file"),
        ([0x00, 0x01, 0x02, 0x03, 0xFE], "a file of a kind Noroshi does not know (it starts with 00 01 02 03 FE)"),
    ])
    func aFileIsKnownByItsFirstBytes(head: [UInt8], kind: String) {
        switch FileKind.identify(head) {
        case .photo(let format): #expect(format.rawValue == kind)
        case .other(let what): #expect(what == kind)
        }
    }

    /// An ISO base media `ftyp` box with a major brand and compatible ones, then the start of the next box.
    static func box(_ major: String, _ compatible: [String]) -> [UInt8] {
        let size = 16 + 4 * compatible.count
        return [0, 0, 0, UInt8(size)] + Array("ftyp\(major)".utf8) + [0, 0, 0, 0]
            + compatible.flatMap { Array($0.utf8) } + [0, 0, 0, 8] + Array("meta".utf8)
    }

    @Test func otherKindsOfFileAreRefusedNamingWhatTheyAreAndWhatIsTaken() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.url.appendingPathComponent("IMG_0042.MOV")
        try Data(Self.box("qt  ", ["qt  "]) + [UInt8](repeating: 0, count: 100)).write(to: file)
        let inspection = PhotoInspection.inspect(path: file.path)
        #expect(!inspection.accepted)
        #expect(inspection.error?.code == .notAPhoto)
        #expect(
            inspection.error?.message
                == "this is a QuickTime video (.mov), not a photo; Noroshi takes JPEG, HEIC/HEIF and PNG photos")
        #expect(throws: PhotoError.self) { try Derivatives.make(path: file.path, orientation: 1) }
    }

    /// The HEIC was encoded from hida-fire.jpg by libheif's heif-enc, which carries the EXIF block over.
    @Test func aHEICPhotoIsReadWithItsEXIFAsTheSameJPEGIs() throws {
        let heic = Self.inspect("hida-fire.heic")
        let jpeg = Self.inspect("hida-fire.jpg")
        let header = try #require(heic.header, "\(String(describing: heic.error))")
        #expect(header.format == .heif && header.width == 160 && header.height == 120)
        #expect(header.encoding == "HEIC/HEIF")
        #expect(heic.error == nil)
        let exif = try #require(heic.exif)
        #expect(exif == jpeg.exif)
        #expect(exif.latitude == 36.1461 && exif.longitude == 137.2522 && exif.make == "OM Digital Solutions")
        #expect(exif.dateTimeOriginal == "2026:11:21 09:30:05" && exif.offsetTimeOriginal == "+09:00")
    }

    @Test func heicCopiesAreUprightJPEGsOfTheRightColours() throws {
        let set = try Derivatives.make(path: FixtureFiles.photo("hida-fire.heic").path)
        for derivative in set.derivatives {
            try DerivativeTests.expectUpright(derivative, width: 160, height: 120, "HEIC")
            #expect(derivative.jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
        }
    }

    /// heif-enc stored orientation-6.jpg's pixels as they are, with its EXIF (orientation 6) and no rotation
    /// of its own. HEIF turns a photo by its own boxes; EXIF orientation is not applied on top (an iPhone
    /// writes both, and applying both turned its photos twice).
    @Test func aHEIFIsNotTurnedByItsEXIFOrientation() throws {
        let inspection = Self.inspect("orientation-6.heic")
        let header = try #require(inspection.header)
        #expect(inspection.exif?.orientation == 6)
        #expect(header.copyOrientation() == 1)
        #expect(Self.inspect("orientation-6.jpg").header?.copyOrientation() == 6)
        let set = try Derivatives.make(path: FixtureFiles.photo("orientation-6.heic").path)
        #expect(set["chat"]?.width == 120 && set["chat"]?.height == 160)
        #expect(set.orientation == 1)
    }

    @Test func aPNGScreenshotIsCopiedWithItsTransparencyOnWhite() throws {
        let inspection = Self.inspect("screenshot-map.png")
        let header = try #require(inspection.header)
        #expect(header.format == .png && header.encoding == "PNG, RGB with alpha, 8-bit")
        #expect(inspection.exif == nil && inspection.error == nil)
        let set = try Derivatives.make(path: FixtureFiles.photo("screenshot-map.png").path)
        let chat = try #require(set["chat"])
        let image = try DecodedImage.decode(chat.jpeg)
        #expect(image.width == 160 && image.height == 120 && image.components == 3)
        // Red top-left, blue bottom-right; the transparent bottom-left quarter is white.
        #expect(DerivativeTests.Color(image.pixel(x: 10, y: 10)) == .red)
        #expect(DerivativeTests.Color(image.pixel(x: 150, y: 110)) == .blue)
        #expect(image.pixel(x: 10, y: 110).allSatisfy { $0 > 240 }, "\(Array(image.pixel(x: 10, y: 110)))")
    }

    /// exiftool wrote hida-landslide.jpg's EXIF into the PNG's eXIf chunk.
    @Test func aPNGsEXIFChunkIsRead() throws {
        let png = Self.inspect("hida-landslide.png")
        #expect(png.header?.format == .png)
        let exif = try #require(png.exif)
        let jpeg = try #require(Self.inspect("hida-landslide.jpg").exif)
        #expect(exif.latitude == jpeg.latitude && exif.longitude == jpeg.longitude && exif.altitude == jpeg.altitude)
        #expect(exif.dateTimeOriginal == jpeg.dateTimeOriginal && exif.model == "iPhone 15")
    }

    @Test func a16BitGreyPNGBecomesAn8BitCopy() throws {
        #expect(Self.inspect("grey-16bit.png").header?.encoding == "PNG, greyscale, 16-bit")
        let set = try Derivatives.make(path: FixtureFiles.photo("grey-16bit.png").path)
        let image = try DecodedImage.decode(try #require(set["chat"]).jpeg)
        #expect(image.width == 160 && image.height == 120)
        // The fixture's green (40, 160, 60) as grey: about 86 in every channel.
        let pixel = image.pixel(x: 80, y: 60)
        #expect(pixel.allSatisfy { abs(Int($0) - 86) < 8 }, "\(Array(pixel))")
    }

    @Test(arguments: [
        ("truncated.heic", "not a readable HEIC/HEIF"), ("truncated.png", "not a readable PNG: the data ends early"),
    ])
    func damagedHEIFAndPNGAreRefusedWithTheReason(name: String, message: String) {
        let inspection = Self.inspect(name)
        #expect(!inspection.accepted)
        #expect(inspection.error?.code == .malformed)
        #expect(inspection.error?.message.hasPrefix(message) == true, "\(String(describing: inspection.error))")
    }

    /// A phone-sized HEIC made by libheif's own encoder from a JPEG: both copies come out at their sizes and
    /// look like the JPEG's copies (HEVC at quality 90 changes little).
    @Test func aLargeHEICIsReducedLikeTheJPEGItWasMadeFrom() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let jpeg = URL(fileURLWithPath: try DerivativeTests.gradientPhoto(width: 2400, height: 1800, in: directory))
        let heic = directory.url.appendingPathComponent("large.heic")
        let encoded = try ChildProcess.run("/usr/bin/heif-enc", ["-q", "90", "-o", heic.path, jpeg.path])
        try #require(encoded == 0, "heif-enc (Debian libheif-examples) failed")

        #expect(PhotoInspection.inspect(path: heic.path).header?.format == .heif)
        let fromHEIC = try Derivatives.make(path: heic.path)
        let fromJPEG = try Derivatives.make(path: jpeg.path)
        for name in ["chat", "thumb"] {
            let a = try DecodedImage.decode(try #require(fromHEIC[name]).jpeg)
            let b = try DecodedImage.decode(try #require(fromJPEG[name]).jpeg)
            #expect(a.width == b.width && a.height == b.height)
            let difference = zip(a.pixels, b.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
            let mean = Double(difference) / Double(a.pixels.count)
            #expect(mean < 4, "\(name): mean difference \(mean)")
        }
        #expect(fromHEIC["chat"]?.width == 1280 && fromHEIC["chat"]?.height == 960)
    }
}
