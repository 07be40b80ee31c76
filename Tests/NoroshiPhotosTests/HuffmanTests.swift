import Foundation
import NoroshiPhotos
import NoroshiTesting
import Testing

/// Noroshi's own Huffman decoder (Sources/CJPEG/huffman.c), which decodes every single-scan baseline photo
/// in place of libjpeg-turbo's: it must give exactly libjpeg-turbo's pixels on every encoding real encoders
/// write, and behave on damaged data.
@Suite struct HuffmanTests {
    /// A picture with what makes a Huffman decoder work: smooth gradients, hard edges, fine noise, and
    /// a size that leaves partial MCUs at the right and bottom edges.
    static func picture(width: Int = 517, height: Int = 389) -> DecodedImage {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Int(state >> 58) - 32
                let edge = (x / 37 + y / 29) % 2 == 0 ? 60 : -60
                let index = (y * width + x) * 3
                pixels[index] = UInt8(clamping: x * 255 / width + noise / 2)
                pixels[index + 1] = UInt8(clamping: 128 + edge + noise)
                pixels[index + 2] = UInt8(clamping: y * 255 / height - noise)
            }
        }
        return DecodedImage(width: width, height: height, components: 3, pixels: pixels)
    }

    /// `picture()` through libjpeg-turbo's `cjpeg` (Debian libjpeg-turbo-progs) with `options`.
    /// Progressive scan scripts (libjpeg's wizard.txt format) in orders cjpeg does not choose by itself:
    /// the high band of luma before the low one, with four levels of refinement; DC of each component in its
    /// own scan; every refinement level from 3 down to 0 for all components.
    static let scanScripts = [
        "high-band-first": """
        0,1,2: 0-0, 0, 2; 0: 6-63, 0, 3; 0: 1-5, 0, 3; 1: 1-63, 0, 1; 2: 1-63, 0, 1;
        0,1,2: 0-0, 2, 1; 0: 1-63, 3, 2; 0: 1-63, 2, 1; 0: 1-63, 1, 0; 0,1,2: 0-0, 1, 0;
        1: 1-63, 1, 0; 2: 1-63, 1, 0;
        """,
        "dc-per-component": """
        0: 0-0, 0, 0; 1: 0-0, 0, 0; 2: 0-0, 0, 0; 0: 1-2, 0, 0; 0: 3-63, 0, 1; 1: 1-63, 0, 0;
        2: 1-63, 0, 0; 0: 3-63, 1, 0;
        """,
        "four-refinements": """
        0,1,2: 0-0, 0, 3; 0,1,2: 0-0, 3, 2; 0,1,2: 0-0, 2, 1; 0,1,2: 0-0, 1, 0;
        0: 1-63, 0, 3; 1: 1-63, 0, 3; 2: 1-63, 0, 3; 0: 1-63, 3, 2; 1: 1-63, 3, 2; 2: 1-63, 3, 2;
        0: 1-63, 2, 1; 1: 1-63, 2, 1; 2: 1-63, 2, 1; 0: 1-63, 1, 0; 1: 1-63, 1, 0; 2: 1-63, 1, 0;
        """,
    ]

    static func encoded(_ options: [String], in directory: TemporaryDirectory) throws -> Data {
        var options = options
        if let index = options.firstIndex(of: "-scans"), let script = scanScripts[options[index + 1]] {
            let file = directory.url.appendingPathComponent("\(options[index + 1]).txt")
            try script.write(to: file, atomically: true, encoding: .utf8)
            options[index + 1] = file.path
        }
        let image = picture()
        let ppm = directory.url.appendingPathComponent("picture.ppm")
        var bytes = Array("P6\n\(image.width) \(image.height)\n255\n".utf8)
        bytes += image.pixels
        try Data(bytes).write(to: ppm)
        let jpeg = directory.url.appendingPathComponent("picture.jpg")
        let status = try ChildProcess.run("/usr/bin/cjpeg", options + ["-outfile", jpeg.path, ppm.path])
        try #require(status == 0, "cjpeg (Debian libjpeg-turbo-progs) failed with \(options)")
        return try Data(contentsOf: jpeg)
    }

    /// How many samples differ (memcmp first: a debug build counts a 48-megapixel photo slowly).
    static func differingSamples(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard a.count == b.count else { return max(a.count, b.count) }
        let same = a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, a.count) == 0 }
        }
        return same ? 0 : zip(a, b).count { $0 != $1 }
    }

    /// Decodes `jpeg` with Noroshi's decoder (with BMI2 where this CPU has it fast, and without) and with
    /// libjpeg-turbo's, and expects the same pixels.
    static func expectSamePixels(_ jpeg: Data, _ note: String) throws {
        let theirs = try DecodedImage.decode(jpeg, huffman: .libjpegTurbo)
        for huffman in [DecodedImage.HuffmanDecoder.noroshi, .noroshiPortable] {
            let ours = try DecodedImage.decode(jpeg, huffman: huffman)
            #expect(ours.width == theirs.width && ours.height == theirs.height, "\(note)")
            let differing = differingSamples(ours.pixels, theirs.pixels)
            #expect(differing == 0, "\(note), \(huffman): \(differing) samples differ")
        }
    }

    /// Where the entropy-coded data of the first scan starts: after the SOS segment.
    static func scanData(_ jpeg: [UInt8]) throws -> Int {
        var index = 2
        while index + 3 < jpeg.count {
            guard jpeg[index] == 0xFF else { throw PhotoError(.malformed, "no marker at \(index)") }
            let length = Int(jpeg[index + 2]) << 8 | Int(jpeg[index + 3])
            if jpeg[index + 1] == 0xDA { return index + 2 + length }
            index += 2 + length
        }
        throw PhotoError(.malformed, "no SOS")
    }

    /// Every sampling libjpeg allows in an MCU (up to its ten blocks), restart intervals down to one MCU,
    /// optimized tables, quality 100 (long codes, large values) and 5 (nearly all ends of block),
    /// grayscale and RGB; progressive files in the same ways and with scan scripts of other orders (below);
    /// arithmetic-coded files keep libjpeg-turbo's decoder.
    @Test(arguments: [
        ["-quality", "75"],
        ["-quality", "100", "-sample", "1x1"],
        ["-quality", "92", "-sample", "2x1"],
        ["-quality", "85", "-sample", "1x2"],
        ["-quality", "90", "-sample", "4x2"],
        ["-quality", "5"],
        ["-quality", "60", "-optimize"],
        ["-quality", "97", "-optimize", "-sample", "1x1"],
        ["-grayscale", "-quality", "88"],
        ["-rgb", "-quality", "80"],
        ["-restart", "1"],
        ["-restart", "1B", "-quality", "95"],
        ["-restart", "7B", "-sample", "2x1", "-optimize"],
        ["-progressive"],
        ["-progressive", "-quality", "98", "-sample", "1x1"],
        ["-progressive", "-sample", "2x1", "-quality", "90"],
        ["-progressive", "-sample", "4x2"],
        ["-progressive", "-grayscale"],
        ["-progressive", "-quality", "5"],
        ["-progressive", "-restart", "1B", "-quality", "95"],
        ["-progressive", "-restart", "2"],
        ["-scans", "high-band-first"],
        ["-scans", "dc-per-component", "-sample", "2x1"],
        ["-scans", "four-refinements", "-restart", "3B"],
        ["-arithmetic"],
    ])
    func decodesExactlyAsLibjpegTurbo(options: [String]) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let jpeg = try Self.encoded(options, in: directory)
        if options.contains(where: { $0.hasPrefix("-restart") }) {
            #expect(zip(jpeg, jpeg.dropFirst()).contains { $0 == 0xFF && $1 == 0xDD }, "no restart interval")
        }
        try Self.expectSamePixels(jpeg, options.joined(separator: " "))
        // And the copies made from it.
        let path = directory.url.appendingPathComponent("picture.jpg").path
        let copies = try Derivatives.make(
            path: path, orientation: 1, specs: [DerivativeSpec(name: "chat", longSide: 200, quality: 90)])
        let chat = try DecodedImage.decode(try #require(copies["chat"]).jpeg)
        #expect(chat.width == 200 && chat.height == 150)
    }

    /// The repository's photo fixtures, and the real camera photos of the benchmark when they were
    /// fetched (scripts/real-photos.sh; not in CI): a 24-megapixel 4:2:2 DSLR file, a 48-megapixel phone
    /// photo and more.
    @Test func fixturesAndRealPhotosDecodeExactlyAsLibjpegTurbo() throws {
        let folders = [
            FixtureFiles.root.appendingPathComponent("photos"),
            FixtureFiles.root.deletingLastPathComponent().appendingPathComponent(".build-real-photos"),
        ]
        var checked = 0
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".jpg") {
                let path = folder.appendingPathComponent(name).path
                // Only what inspection accepts: absurd-dimensions.jpg claims 60000×60000, and decoded whole
                // (DecodedImage has no pixel limit) it would take 10 GB.
                guard PhotoInspection.inspect(path: path).header != nil else { continue }
                let jpeg = try Data(contentsOf: URL(fileURLWithPath: path))
                let theirs = Result { () throws(PhotoError) in try DecodedImage.decode(jpeg, huffman: .libjpegTurbo) }
                for huffman in [DecodedImage.HuffmanDecoder.noroshi, .noroshiPortable] {
                    let ours = Result { () throws(PhotoError) in try DecodedImage.decode(jpeg, huffman: huffman) }
                    switch (ours, theirs) {
                    case (.success(let a), .success(let b)):
                        // Counted, not compared as arrays: a failed #expect would print all 144 million samples.
                        let differing = Self.differingSamples(a.pixels, b.pixels)
                        #expect(a.width == b.width && a.height == b.height && differing == 0, "\(name): \(differing)")
                        checked += 1
                    case (.failure(let a), .failure(let b)):
                        #expect(a.message == b.message, "\(name): \(a.message) / \(b.message)")
                    default:
                        Issue.record("\(name), \(huffman): one decoder failed, the other did not: \(ours) / \(theirs)")
                    }
                }
            }
        }
        #expect(checked >= 40)
    }

    /// A marker in the middle of the data (here an EOI) ends it: the blocks after it stay zero (mid-grey),
    /// exactly as libjpeg-turbo leaves them, and the rows before it are intact.
    @Test func aMarkerInTheMiddleOfTheDataLeavesTheRestGreyAsLibjpegTurboDoes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = try Self.encoded(["-quality", "90", "-sample", "1x1"], in: directory)
        var bytes = [UInt8](whole)
        let start = try Self.scanData(bytes)
        var cut = start + (bytes.count - start) / 2
        while bytes[cut - 1] == 0xFF { cut += 1 }  // not right after a stuffed 0xFF
        bytes[cut] = 0xFF
        bytes[cut + 1] = 0xD9
        let damaged = Data(bytes)
        try Self.expectSamePixels(damaged, "EOI in the middle")
        let image = try DecodedImage.decode(damaged)
        let intact = try DecodedImage.decode(whole)
        #expect(image.pixel(x: 10, y: 10) == intact.pixel(x: 10, y: 10))
        #expect(Array(image.pixel(x: image.width - 10, y: image.height - 10)) == [128, 128, 128])
    }

    /// A restart marker taken out: the intervals before it decode as libjpeg-turbo decodes them, and the
    /// decode ends normally (the rest is left grey where libjpeg-turbo would resynchronize).
    @Test func aMissingRestartMarkerLeavesTheIntervalsBeforeItIntact() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = try Self.encoded(["-restart", "1", "-quality", "90"], in: directory)
        var bytes = [UInt8](whole)
        let start = try Self.scanData(bytes)
        // The fourth restart marker (RST3): rows 0-63 (four MCU rows of 16) are before it.
        let marker = try #require((start..<bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xD3 })
        bytes.removeSubrange(marker..<marker + 2)
        let image = try DecodedImage.decode(Data(bytes))
        let reference = try DecodedImage.decode(whole, huffman: .libjpegTurbo)
        #expect(image.width == reference.width && image.height == reference.height)
        let rowBytes = image.width * 3
        let top = 0..<48 * rowBytes
        #expect(Self.differingSamples(Array(image.pixels[top]), Array(reference.pixels[top])) == 0)
        #expect(Array(image.pixel(x: 10, y: image.height - 10)) == [128, 128, 128])
    }

    /// Damaged bytes anywhere in the data (seeded, 500 variants of small baseline and progressive files, with
    /// and without restart intervals) give a picture of the right size or a clear error, through both the
    /// decode and the copies, and never anything worse.
    @Test func damagedDataGivesAPictureOrAnErrorNeverACrash() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var pictures = 0
        var errors = 0
        let encodings = [
            ["-quality", "90"], ["-restart", "2B", "-quality", "70"], ["-quality", "100", "-optimize"],
            ["-progressive", "-quality", "95"], ["-progressive", "-restart", "1B"],
        ]
        for options in encodings {
            let whole = [UInt8](try Self.encoded(options, in: directory))
            let start = try Self.scanData(whole)
            for _ in 0..<100 {
                var bytes = whole
                for _ in 0..<(1 + next(4)) {
                    bytes[start + next(bytes.count - start - 2)] = UInt8(next(256))
                }
                let jpeg = Data(bytes)
                do {
                    let image = try DecodedImage.decode(jpeg)
                    #expect(image.width == 517 && image.height == 389)
                    pictures += 1
                } catch {
                    #expect(!error.message.isEmpty)
                    errors += 1
                }
                let portable = try? DecodedImage.decode(jpeg, huffman: .noroshiPortable)
                #expect(portable == nil || portable?.width == 517)
                let path = directory.url.appendingPathComponent("damaged.jpg")
                try jpeg.write(to: path)
                if let copies = try? Derivatives.make(
                    path: path.path, orientation: 1, specs: [DerivativeSpec(name: "chat", longSide: 100, quality: 80)])
                {
                    #expect(copies["chat"]?.width == 100)
                }
            }
        }
        #expect(pictures + errors == 500 && pictures > 0)
    }
}
