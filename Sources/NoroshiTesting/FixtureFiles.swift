import Foundation

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
