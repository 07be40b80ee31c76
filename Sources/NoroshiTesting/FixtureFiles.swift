import Foundation
import NoroshiPhotos

/// The repository's `Fixtures/` folder, found from this source file's path (tests run from the checkout).
public enum FixtureFiles {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // NoroshiTesting
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // repository
        .appendingPathComponent("Fixtures")

    /// `Fixtures/photos/NAME`.
    public static func photo(_ name: String) -> URL {
        root.appendingPathComponent("photos").appendingPathComponent(name)
    }

    /// `Fixtures/photos/fixtures.json`: what the generator wrote into each photo.
    public static func photoTruth() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: photo("fixtures.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] ?? [:]
    }
}

/// JPEGs made on the spot, of any size: noise, so that they do not compress to nothing.
public enum TestPhotos {
    /// A `width`×`height` RGB JPEG of seeded noise at quality 90: about 1.4 bytes per pixel.
    public static func noisy(width: Int, height: Int, seed: UInt64 = 1) throws -> Data {
        var state = seed | 1
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in pixels.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            pixels[index] = UInt8(truncatingIfNeeded: state)
        }
        return try DecodedImage(width: width, height: height, components: 3, pixels: pixels).encode(quality: 90)
    }
}
