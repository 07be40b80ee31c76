import Foundation
import NoroshiPhotos
import NoroshiTesting
import Testing

/// The chat and thumb copies: orientation, sizes, filter, color spaces, no metadata, damaged input.
@Suite struct DerivativeTests {
    /// The fixtures show red top-left and blue bottom-right once turned upright (green elsewhere).
    static func expectUpright(_ derivative: Derivative, width: Int, height: Int, _ note: String) throws {
        #expect(derivative.width == width && derivative.height == height, "\(note) \(derivative.spec.name)")
        let image = try DecodedImage.decode(derivative.jpeg)
        #expect(image.width == width && image.height == height)
        let inset = max(1, width / 16)
        let corners = [
            ("top-left", image.pixel(x: inset, y: inset), Color.red),
            ("top-right", image.pixel(x: width - 1 - inset, y: inset), Color.green),
            ("bottom-left", image.pixel(x: inset, y: height - 1 - inset), Color.green),
            ("bottom-right", image.pixel(x: width - 1 - inset, y: height - 1 - inset), Color.blue),
        ]
        for (corner, pixel, expected) in corners {
            #expect(Color(pixel) == expected, "\(note) \(derivative.spec.name) \(corner): \(Array(pixel))")
        }
    }

    enum Color: Equatable {
        case red, green, blue, other

        init(_ pixel: ArraySlice<UInt8>) {
            let (r, g, b) = (
                Int(pixel[pixel.startIndex]), Int(pixel[pixel.startIndex + 1]), Int(pixel[pixel.startIndex + 2])
            )
            if r > 150 && g < 90 && b < 90 {
                self = .red
            } else if b > 150 && r < 90 && g < 90 {
                self = .blue
            } else if g > 110 && r < 100 && b < 110 {
                self = .green
            } else {
                self = .other
            }
        }
    }

    @Test(arguments: 1...8)
    func markedCornerLandsUprightInBothCopies(orientation: Int) throws {
        let path = FixtureFiles.photo("orientation-\(orientation).jpg").path
        // The fixtures (160×120 as displayed) are smaller than both standard copies: re-encoded at their own size.
        let standard = try Derivatives.make(path: path)
        #expect(standard.orientation == orientation)
        #expect(standard.scaleDenominator == 1)
        for derivative in standard.derivatives {
            try Self.expectUpright(derivative, width: 160, height: 120, "orientation \(orientation)")
        }
        // Smaller copies exercise the resampler and the second copy made from the first.
        let small = try Derivatives.make(
            path: path, orientation: orientation,
            specs: [
                DerivativeSpec(name: "chat", longSide: 64, quality: 90),
                DerivativeSpec(name: "thumb", longSide: 32, quality: 90),
            ])
        try Self.expectUpright(try #require(small["chat"]), width: 64, height: 48, "orientation \(orientation)")
        try Self.expectUpright(try #require(small["thumb"]), width: 32, height: 24, "orientation \(orientation)")
    }

    /// A synthetic photo `width`×`height` with a horizontal gradient, encoded at quality 92.
    static func gradientPhoto(width: Int, height: Int, in directory: TemporaryDirectory) throws -> String {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let index = (y * width + x) * 3
                pixels[index] = UInt8(x * 255 / max(1, width - 1))
                pixels[index + 1] = UInt8(y * 255 / max(1, height - 1))
                pixels[index + 2] = 90
            }
        }
        let jpeg = try DecodedImage(width: width, height: height, components: 3, pixels: pixels).encode(quality: 92)
        let path = directory.url.appendingPathComponent("gradient-\(width)x\(height).jpg").path
        try jpeg.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func largePhotoDecodesAtAReducedScaleOnlyWhenTwiceTheTargetIsLeft() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A DCT scale is used only when it leaves at least a 2× reduction for the filter:
        // 5200/2 = 2600 ≥ 2 × 1280, 5200/4 is not; 2600/2 = 1300 is not, so that one decodes at full scale.
        let small = try Derivatives.make(path: try Self.gradientPhoto(width: 2600, height: 1950, in: directory))
        #expect(small.scaleDenominator == 1 && small["chat"]?.width == 1280 && small["chat"]?.height == 960)
        let path = try Self.gradientPhoto(width: 5200, height: 1300, in: directory)
        let set = try Derivatives.make(path: path)
        #expect(set.scaleDenominator == 2)
        let chat = try #require(set["chat"])
        let thumb = try #require(set["thumb"])
        #expect(chat.width == 1280 && chat.height == 320)
        #expect(thumb.width == 320 && thumb.height == 80)
        // The gradient survives: left edge dark red channel, right edge bright.
        let image = try DecodedImage.decode(chat.jpeg)
        #expect(image.pixel(x: 2, y: 160).first! < 20)
        #expect(image.pixel(x: 1277, y: 160).first! > 235)
        #expect(abs(Int(image.pixel(x: 640, y: 160).first!) - 128) < 8)
    }

    @Test func portraitPhotoGetsItsLongSideLimited() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.gradientPhoto(width: 900, height: 1600, in: directory)
        let set = try Derivatives.make(path: path)
        #expect(set.scaleDenominator == 1)
        #expect(set["chat"]?.width == 720 && set["chat"]?.height == 1280)
        #expect(set["thumb"]?.width == 180 && set["thumb"]?.height == 320)
    }

    @Test func resamplingAveragesInsteadOfPickingPixels() throws {
        // One-pixel black and white columns, 1500 wide: decoded at full scale (1500/2 < 1280) and then
        // resampled by our filter to 1280. Nearest neighbour would keep pure black and white columns.
        let (width, height) = (1500, 200)
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 2) { pixels[y * width + x] = 255 }
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("columns.jpg").path
        try DecodedImage(width: width, height: height, components: 1, pixels: pixels).encode(quality: 100)
            .write(to: URL(fileURLWithPath: path))
        let set = try Derivatives.make(path: path)
        #expect(set.scaleDenominator == 1)
        let image = try DecodedImage.decode(try #require(set["chat"]).jpeg)
        #expect(image.width == 1280 && image.components == 1)
        let row = (100..<1200).map { Int(image.pixel(x: $0, y: 100).first!) }
        // Nearest neighbour leaves nearly every sample black or white; a 1.17-pixel footprint blends
        // neighbouring columns, leaving only the few samples that fall almost on one column.
        let extremes = row.filter { $0 < 40 || $0 > 215 }.count
        #expect(extremes < row.count * 3 / 10, "\(extremes) of \(row.count) samples stayed near black or white")
        let mean = Double(row.reduce(0, +)) / Double(row.count)
        #expect(abs(mean - 127.5) < 10, "mean \(mean)")
    }

    @Test func copiesCarryNoMetadata() throws {
        let set = try Derivatives.make(path: FixtureFiles.photo("hida-fire.jpg").path)
        for derivative in set.derivatives {
            let bytes = [UInt8](derivative.jpeg)
            #expect(Self.markers(in: bytes).filter { (0xE1...0xEF).contains($0) }.isEmpty, "only APP0 (JFIF) allowed")
            #expect(bytes.count > 4 && bytes[0] == 0xFF && bytes[1] == 0xD8)
            #expect(!Data(bytes).contains(Data("Exif".utf8)))
            // Baseline: SOF0, never progressive (SOF2) or arithmetic (SOF9).
            #expect(Self.markers(in: bytes).contains(0xC0))
            #expect(!Self.markers(in: bytes).contains(0xC2))
        }
    }

    /// The markers before the first scan.
    static func markers(in bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 2
        while index + 4 <= bytes.count, bytes[index] == 0xFF {
            let marker = bytes[index + 1]
            result.append(marker)
            if marker == 0xDA { break }
            index += 2 + Int(bytes[index + 2]) << 8 + Int(bytes[index + 3])
        }
        return result
    }

    @Test(arguments: ["hida-landslide.jpg", "chiba-poultry-farm.jpg", "south-west.jpg"])
    func progressiveArithmeticAndGrayscaleInputWork(name: String) throws {
        let set = try Derivatives.make(path: FixtureFiles.photo(name).path)
        let chat = try DecodedImage.decode(try #require(set["chat"]).jpeg)
        #expect(chat.width == 160 && chat.height == 120)
        #expect(chat.components == (name == "south-west.jpg" ? 1 : 3))
    }

    @Test func cmykIsConvertedToRGB() throws {
        // Adobe-style inverted CMYK: 255 means no ink. Left half cyan ink only, right half black ink.
        let (width, height) = (64, 32)
        var pixels = [UInt8](repeating: 255, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let index = (y * width + x) * 4
                if x < width / 2 { pixels[index] = 0 } else { pixels[index + 3] = 0 }
            }
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("cmyk.jpg").path
        try DecodedImage(width: width, height: height, components: 4, pixels: pixels).encode(quality: 95)
            .write(to: URL(fileURLWithPath: path))
        #expect(try JPEGHeader.read(file: path).colorSpace == .cmyk)
        let chat = try DecodedImage.decode(try #require(try Derivatives.make(path: path)["chat"]).jpeg)
        #expect(chat.components == 3)
        let cyan = chat.pixel(x: 8, y: 16).map(Int.init)
        let black = chat.pixel(x: 56, y: 16).map(Int.init)
        #expect(cyan[0] < 30 && cyan[1] > 225 && cyan[2] > 225, "\(cyan)")
        #expect(black.allSatisfy { $0 < 30 }, "\(black)")
    }

    @Test func dataCutShortIsRefusedBeforeAndDuringDecoding() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = try Data(
            contentsOf: URL(fileURLWithPath: try Self.gradientPhoto(width: 800, height: 600, in: directory)))
        let path = directory.url.appendingPathComponent("cut.jpg").path
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        // The header is intact, so only reading the data shows the damage.
        #expect(throws: Never.self) { try JPEGHeader.read(file: path) }
        #expect(throws: PhotoError.self) { try PhotoInspection.check(path: path, limits: PhotoLimits()) }
        do {
            _ = try Derivatives.make(path: path, orientation: 1)
            Issue.record("a truncated photo made copies")
        } catch {
            #expect(error.message.contains("ends early"), "\(error.message)")
        }
    }

    @Test func pixelLimitIsEnforcedByTheDecoderToo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.gradientPhoto(width: 400, height: 300, in: directory)
        #expect(throws: PhotoError.self) {
            try Derivatives.make(path: path, orientation: 1, limits: PhotoLimits(maxPixels: 100_000))
        }
    }

    /// The file reader fills a 256 KB buffer of its own (libjpeg-turbo's fast Huffman path needs bytes in
    /// hand; stdio's 4 KB buffer often had too few): a photo of several buffers gives exactly the copies the
    /// memory reader gives, and one cut off after several refills is still refused as cut off.
    @Test func aPhotoOfManyReadBuffersReadsAsFromMemoryAndACutOneIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let width = 1600
        let height = 1200
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var state: UInt32 = 2_463_534_242
        for index in pixels.indices {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            pixels[index] = UInt8(truncatingIfNeeded: state) / 2 &+ UInt8(index / 3 % width * 127 / width)
        }
        let jpeg = try DecodedImage(width: width, height: height, components: 3, pixels: pixels).encode(quality: 92)
        #expect(jpeg.count > 3 * 256 * 1024, "the photo spans several read buffers (\(jpeg.count) bytes)")
        let path = directory.url.appendingPathComponent("noise.jpg").path
        try jpeg.write(to: URL(fileURLWithPath: path))
        let fromFile = try Derivatives.make(path: path, orientation: 1)
        let fromMemory = try Derivatives.make(bytes: Array(jpeg), orientation: 1)
        #expect(fromFile == fromMemory)
        #expect(fromFile["chat"]?.width == 1280)
        for cut in [256 * 1024 + 1, 2 * 256 * 1024, jpeg.count - 100] {
            let cutPath = directory.url.appendingPathComponent("cut-\(cut).jpg").path
            try jpeg.prefix(cut).write(to: URL(fileURLWithPath: cutPath))
            do {
                _ = try Derivatives.make(path: cutPath, orientation: 1)
                Issue.record("a photo cut at \(cut) bytes made copies")
            } catch {
                #expect(error.message.contains("ends early"), "cut at \(cut): \(error.message)")
            }
        }
    }

    /// The in-memory readers (what the fuzz target drives) give what the file readers give.
    @Test(arguments: [
        "hida-fire.jpg", "orientation-6.jpg", "chiba-poultry-farm.jpg", "truncated.jpg", "not-a-jpeg.jpg",
    ])
    func memoryAndFileReadersAgree(name: String) throws {
        let path = FixtureFiles.photo(name).path
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let fromFile = Result { () throws(PhotoError) in try JPEGHeader.read(file: path) }
        let fromMemory = Result { () throws(PhotoError) in try JPEGHeader.read(bytes: bytes) }
        #expect(fromFile == fromMemory)
        guard case .success(let header) = fromFile else { return }
        let orientation = header.exifPayload.flatMap { try? EXIF.read(app1: $0) }?.orientation ?? 1
        let copiesFromFile = Result { () throws(PhotoError) in
            try Derivatives.make(path: path, orientation: orientation)
        }
        let copiesFromMemory = Result { () throws(PhotoError) in
            try Derivatives.make(bytes: bytes, orientation: orientation)
        }
        #expect(copiesFromFile == copiesFromMemory, "\(name)")
    }
}
