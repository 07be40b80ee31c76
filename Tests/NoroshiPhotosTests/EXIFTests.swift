import Foundation
import NoroshiPhotos
import NoroshiTesting
import Testing

/// EXIF and header reading against the fixtures, whose EXIF was written by exiftool (see Fixtures/photos).
@Suite struct EXIFTests {
    static let names = (try? FixtureFiles.photoTruth().keys.sorted()) ?? []

    @Test func fixturesExist() {
        #expect(Self.names.count >= 20)
    }

    /// A photo refused for its pixel count is still a photo: `photo inspect` shows its EXIF (pillow_heif's
    /// 200-megapixel Galaxy S24 Ultra photo showed nothing before, the one miss against exiftool it added).
    @Test(arguments: ["orientation-6.jpg", "orientation-6.heic"])
    func aPhotoOverThePixelLimitStillShowsItsEXIF(name: String) throws {
        let inspection = PhotoInspection.inspect(
            path: FixtureFiles.photo(name).path, limits: PhotoLimits(maxPixels: 1000))
        #expect(!inspection.accepted)
        #expect(
            inspection.error?.message.hasSuffix("pixels); the limit is 1000 pixels") == true,
            "\(String(describing: inspection.error))")
        let exif = try #require(inspection.exif, "no EXIF for \(name)")
        #expect(exif.make == "Noroshi fixtures")
        #expect(exif.orientation == 6)
    }

    @Test(arguments: names)
    func fixtureReadsAsWritten(name: String) throws {
        let expected = try #require(try FixtureFiles.photoTruth()[name])
        let inspection = PhotoInspection.inspect(path: FixtureFiles.photo(name).path)
        if let message = expected["error"] as? String {
            let error = try #require(inspection.error, "\(name) should fail")
            #expect(error.message.hasPrefix(message), "\(error.message)")
            #expect(inspection.accepted == !(expected["refused"] as? Bool ?? true))
            return
        }
        #expect(inspection.error == nil, "\(String(describing: inspection.error))")
        #expect(inspection.header?.format == .jpeg)
        let header = try #require(inspection.header?.jpeg)
        #expect(header.width == expected["width"] as? Int)
        #expect(header.height == expected["height"] as? Int)
        if expected["grayscale"] as? Bool == true { #expect(header.colorSpace == .grayscale) }
        #expect(header.progressive == (expected["progressive"] as? Bool ?? false))
        #expect(header.arithmetic == (expected["arithmetic"] as? Bool ?? false))
        let exif = inspection.exif
        #expect(exif?.orientation == expected["orientation"] as? Int)
        #expect(exif?.make == expected["make"] as? String)
        #expect(exif?.model == expected["model"] as? String)
        #expect(exif?.dateTimeOriginal == expected["datetime_original"] as? String)
        #expect(exif?.offsetTimeOriginal == expected["offset_time_original"] as? String)
        #expect(exif?.subSecTimeOriginal == expected["subsec_time_original"] as? String)
        if let latitude = expected["gps_lat"] as? Double, let longitude = expected["gps_lon"] as? Double {
            // exiftool stores degrees, minutes and seconds as rationals; a few millionths of a degree of rounding.
            #expect(abs((exif?.latitude ?? .nan) - latitude) < 1e-5)
            #expect(abs((exif?.longitude ?? .nan) - longitude) < 1e-5)
        } else {
            #expect(exif?.latitude == nil && exif?.longitude == nil)
        }
        if let altitude = expected["altitude"] as? Double {
            #expect(abs((exif?.altitude ?? .nan) - altitude) < 0.01)
        } else {
            #expect(exif?.altitude == nil)
        }
        // A damaged part is lost alone, and named (the damaged fixtures' truth is what exiftool reads of them).
        let unreadable = Set(exif?.unreadable.keys.map(\.rawValue) ?? [])
        #expect(unreadable == Set(expected["unreadable"] as? [String] ?? []), "\(exif?.unreadable ?? [:])")
    }

    @Test func takenAtUsesTheRecordedOffsetAndSubSeconds() throws {
        let hida = try #require(PhotoInspection.inspect(path: FixtureFiles.photo("hida-fire.jpg").path).exif)
        // 2026-11-21 09:30:05.120 +09:00 is 00:30:05.120 UTC.
        let taken = try #require(hida.takenAt(assumedOffset: 0))
        #expect(abs(taken.timeIntervalSince1970 - 1_795_221_005.12) < 0.0005)

        let chiba = try #require(PhotoInspection.inspect(path: FixtureFiles.photo("chiba-poultry-farm.jpg").path).exif)
        // No offset recorded: the assumed one (Japan, +09:00) applies.
        let local = try #require(chiba.takenAt(assumedOffset: 9 * 3600))
        #expect(local.timeIntervalSince1970 == 1_768_453_320)
        #expect(chiba.takenAt(assumedOffset: 0)?.timeIntervalSince1970 == 1_768_485_720)
    }

    @Test func impossibleTimesAreNotTimes() {
        var exif = EXIFMetadata()
        for text in ["    :  :     :  :  ", "2026:02:31 10:00:00", "2026:13:01 10:00:00", "2026-11-21 09:30:05", ""] {
            exif.dateTimeOriginal = text
            #expect(exif.takenAt(assumedOffset: 0) == nil, "\(text)")
        }
    }

    // MARK: Hostile blocks, built by hand

    /// A little- or big-endian TIFF block with IFD0 entries (tag, type, count, value) and extra bytes after it.
    static func tiff(bigEndian: Bool, entries: [(Int, Int, Int, Int)], extra: [UInt8] = []) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] {
            bigEndian ? [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]
        }
        func u32(_ v: Int) -> [UInt8] {
            let b = [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
            return bigEndian ? b : b.reversed()
        }
        var bytes: [UInt8] =
            Array("Exif".utf8) + [0, 0] + (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(8)
        bytes += u16(entries.count)
        for (tag, type, count, value) in entries {
            bytes += u16(tag) + u16(type) + u32(count)
            // SHORT values sit left-justified in the four value bytes.
            bytes += type == 3 && count == 1 ? u16(value) + [0, 0] : u32(value)
        }
        return bytes + u32(0) + extra
    }

    @Test func bothByteOrdersGiveTheSameValues() throws {
        for bigEndian in [false, true] {
            let block = Self.tiff(bigEndian: bigEndian, entries: [(0x0112, 3, 1, 8)])
            #expect(try EXIF.read(app1: block)?.orientation == 8)
        }
    }

    @Test func notEXIFIsNoEXIF() throws {
        #expect(try EXIF.read(app1: Array("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".utf8)) == nil)
        #expect(try EXIF.read(app1: []) == nil)
    }

    /// Only a broken TIFF header loses the whole block.
    @Test func brokenHeadersAreBadEXIF() {
        let cases: [(String, [UInt8])] = [
            ("truncated header", Array("Exif".utf8) + [0, 0, 0x49, 0x49, 42]),
            ("wrong byte order", Array("Exif".utf8) + [0, 0, 0x41, 0x41, 42, 0, 8, 0, 0, 0]),
            ("IFD0 outside", Array("Exif".utf8) + [0, 0, 0x49, 0x49, 42, 0, 0xFF, 0xFF, 0, 0]),
        ]
        for (name, block) in cases {
            #expect(throws: EXIFError.self, "\(name)") { try EXIF.read(app1: block) }
        }
    }

    /// Damage inside the block loses the part it touches, named, and nothing else.
    @Test func damagedPartsAreLostAlone() throws {
        let cases: [(String, [UInt8], EXIFPart)] = [
            (
                "absurd count", Self.tiff(bigEndian: false, entries: [(0x010F, 2, 0x3FFF_FFFF, 8), (0x0112, 3, 1, 6)]),
                .camera
            ),
            ("loop", Self.tiff(bigEndian: true, entries: [(0x8769, 4, 1, 8), (0x0112, 3, 1, 6)]), .time),
            (
                "GPS outside", Self.tiff(bigEndian: false, entries: [(0x0112, 3, 1, 6), (0x8825, 4, 1, 0x7FFF_0000)]),
                .position
            ),
        ]
        for (name, block, part) in cases {
            let exif = try #require(try EXIF.read(app1: block), "\(name)")
            #expect(Set(exif.unreadable.keys) == [part], "\(name): \(exif.unreadable)")
            #expect(exif.orientation == 6, "\(name)")
        }
    }

    /// Random damage to real EXIF blocks must give a value or an EXIFError, never a crash or a hang.
    @Test func randomDamageNeverCrashes() throws {
        var generator = SeededGenerator(seed: 20_261_121)
        let sources = ["hida-fire.jpg", "hida-landslide.jpg", "south-west.jpg", "orientation-6.jpg"]
        let blocks = try sources.map { name in
            try #require(try JPEGHeader.read(file: FixtureFiles.photo(name).path).exifPayload)
        }
        var read = 0
        var refused = 0
        for round in 0..<20_000 {
            var block = blocks[round % blocks.count]
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 6..<block.count, using: &generator)
                block[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) {
                block = Array(block.prefix(Int.random(in: 0...block.count, using: &generator)))
            }
            do {
                _ = try EXIF.read(app1: block)
                read += 1
            } catch {
                refused += 1
            }
        }
        #expect(read + refused == 20_000)
        #expect(read > 0 && refused > 0)
    }
}

/// A small deterministic generator (SplitMix64), so a failing round can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// EXIF read where the rest of the file fails or is unusual.
@Suite struct EXIFSurvivalTests {
    /// Refused for its cut-off image data, a photo still shows what its EXIF says (the crew can see which one
    /// it was); it is still refused.
    @Test func aPhotoCutInItsDataIsRefusedButItsEXIFIsShown() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = try Data(contentsOf: FixtureFiles.photo("hida-fire.jpg"))
        let cut = directory.url.appendingPathComponent("cut.jpg")
        try whole.prefix(whole.count - 300).write(to: cut)
        let inspection = PhotoInspection.inspect(path: cut.path)
        #expect(!inspection.accepted && inspection.error?.message.contains("ends early") == true)
        #expect(inspection.exif?.make == "OM Digital Solutions" && inspection.exif?.latitude == 36.1461)
    }

    /// exiftool takes up to three numbers from a coordinate written as text.
    @Test(arguments: [
        ("36.1461", [36.1461]), ("137 15 7.92", [137, 15, 7.92]), ("36,8.77", [36, 8.77]),
        ("36 deg 8' 46.0\" N", [36, 8, 46]), ("-33.8568", [-33.8568]), ("N", []),
    ])
    func numbersInTextAreReadAsExiftoolReadsThem(text: String, numbers: [Double]) {
        #expect(EXIF.decimals(in: text) == numbers)
    }

    @Test func aMissingOrientationIsUpright() throws {
        let exif = try #require(PhotoInspection.inspect(path: FixtureFiles.photo("exif-no-orientation.jpg").path).exif)
        #expect(exif.orientation == nil && exif.effectiveOrientation == 1)
        #expect(exif.unreadableSummary == nil)
        let damaged = try #require(PhotoInspection.inspect(path: FixtureFiles.photo("exif-gps-outside.jpg").path).exif)
        #expect(
            damaged.unreadableSummary
                == "EXIF partly unreadable: position (GPS IFD offset 16777200 is outside the block)")
    }
}
