import Foundation

/// The rules for taking a report's missing position or time from a photo's EXIF. The server applies them
/// when a photo arrives for a report that left something out; the CLI applies the same ones before it
/// sends a report without `--at` or `--observed-at`.
public enum PhotoEvidence {
    /// How long before the report a photo's EXIF time may lie and still be taken as the time of
    /// observation; older ones usually come from a camera whose clock was never set.
    public static let maximumAge: TimeInterval = 7 * 24 * 3600

    /// Why a photo's value was not used, in words for the timeline or the terminal.
    public struct Refusal: Error, Sendable, Hashable {
        public var message: String
    }

    /// The position a photo's GPS gives, a refusal, or nil when it has none.
    public static func position(latitude: Double?, longitude: Double?) -> Result<GeoPoint, Refusal>? {
        guard let latitude, let longitude else { return nil }
        if latitude == 0, longitude == 0 {
            return .failure(Refusal(message: "its GPS position 0, 0 was not used (a receiver without a fix writes it)"))
        }
        guard let point = try? GeoPoint(latitude: latitude, longitude: longitude) else {
            return .failure(Refusal(message: "its GPS position \(latitude), \(longitude) is not on the Earth"))
        }
        return .success(point)
    }

    /// The observed time a photo's EXIF time gives, a refusal, or nil when it has none. `reference` is
    /// when the report arrived (server) or was written (CLI).
    public static func observedTime(
        _ taken: Date?,
        text: String?,
        reference: Date,
        maxFutureSkew: TimeInterval
    ) -> Result<Date, Refusal>? {
        guard let taken else { return nil }
        let shown = text ?? RFC3339.string(from: taken)
        if taken.timeIntervalSince(reference) > maxFutureSkew {
            return .failure(
                Refusal(message: "its time \(shown) was not used: it lies after the report (check the camera clock)"))
        }
        if reference.timeIntervalSince(taken) > maximumAge {
            return .failure(
                Refusal(
                    message: "its time \(shown) was not used: it lies more than 7 days before the report "
                        + "(check the camera clock)"))
        }
        return .success(taken)
    }

    /// A position as the timeline and the CLI print it: five decimals, about a metre.
    public static func describe(_ point: GeoPoint) -> String {
        String(format: "%.5f, %.5f", point.latitude, point.longitude)
    }
}
