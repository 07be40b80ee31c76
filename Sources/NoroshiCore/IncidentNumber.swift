import Foundation

/// A human incident number such as `F-2026-0042`: kind letter, year, sequence within kind and year.
///
/// Exercise incidents carry an `X` before the kind letter (`XF-2026-0003`) and have their own
/// sequence, so that drills never leave gaps in the real numbering.
public struct IncidentNumber: Sendable, Hashable, CustomStringConvertible {
    public let kind: IncidentKind
    public let exercise: Bool
    public let year: Int
    public let sequence: Int

    public init(kind: IncidentKind, exercise: Bool, year: Int, sequence: Int) {
        self.kind = kind
        self.exercise = exercise
        self.year = year
        self.sequence = sequence
    }

    /// The prefix that sequences are counted under, e.g. `F` or `XF`.
    public var prefix: String { Self.prefix(kind: kind, exercise: exercise) }

    /// The prefix for a kind and exercise flag.
    public static func prefix(kind: IncidentKind, exercise: Bool) -> String {
        (exercise ? "X" : "") + kind.numberPrefix
    }

    public var description: String {
        let digits = String(sequence)
        let padded = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return "\(prefix)-\(year)-\(padded)"
    }

    /// Parses `F-2026-0042` (case-insensitive); nil when the text is not an incident number.
    public init?(_ text: String) {
        let parts = text.uppercased().split(separator: "-")
        guard parts.count == 3, let year = Int(parts[1]), let sequence = Int(parts[2]), sequence > 0,
            parts[1].count == 4, (1000...9999).contains(year)
        else { return nil }
        var letters = Substring(parts[0])
        let exercise = letters.hasPrefix("X") && letters.count > 1
        if exercise { letters = letters.dropFirst() }
        guard let kind = IncidentKind.allCases.first(where: { $0.numberPrefix == letters }) else { return nil }
        self.init(kind: kind, exercise: exercise, year: year, sequence: sequence)
    }

    /// The year an incident opened at `date` is numbered under, in Japan Standard Time (UTC+9, no DST).
    public static func year(of date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 9 * 3600) ?? .gmt
        return calendar.component(.year, from: date)
    }
}
