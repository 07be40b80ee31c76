import Foundation

/// Parsing and formatting of RFC 3339 times, with or without fractional seconds.
public enum RFC3339 {
    /// Parses `2026-11-21T09:30:00+09:00`, `2026-11-21T00:30:00Z` or `2026-11-21T00:30:00.250Z`.
    public static func date(from text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// Formats a time in UTC with milliseconds, e.g. `2026-11-21T00:30:00.250Z`.
    public static func string(from date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
