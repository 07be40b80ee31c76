import Foundation

/// Times in playbooks: offsets from the start (`+01:30:00`, `+05:00`) and lengths (`90s`, `5m`, `1h`).
public enum DrillTime {
    /// `+HH:MM:SS` or `+MM:SS`.
    public static func offset(_ text: String) -> Duration? {
        guard text.hasPrefix("+") else { return nil }
        let parts = text.dropFirst().split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        let numbers = parts.map { $0! }
        let (hours, minutes, seconds) =
            numbers.count == 3 ? (numbers[0], numbers[1], numbers[2]) : (0, numbers[0], numbers[1])
        guard minutes < 60 || numbers.count == 2, seconds < 60 else { return nil }
        return .seconds(hours * 3600 + minutes * 60 + seconds)
    }

    /// `90s`, `5m`, `1h`, or a bare number of seconds.
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .milliseconds(Int64(value * scale * 1000))
        }
        guard let seconds = Double(text), seconds >= 0, seconds.isFinite else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// `+HH:MM:SS`, or `+HH:MM:SS.mmm` when the offset has milliseconds.
    public static func format(_ offset: Duration) -> String {
        let milliseconds = Int(offset.milliseconds)
        let total = milliseconds / 1000
        let text = String(format: "+%02d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
        return milliseconds % 1000 == 0 ? text : text + String(format: ".%03d", milliseconds % 1000)
    }

    /// A length of time for people: `250 ms`, `5 s`, `2.5 s`, `15 min 2 s`, `2 h 30 min`.
    public static func length(_ length: Duration) -> String {
        let milliseconds = Int(length.milliseconds)
        if milliseconds == 0 { return "0 s" }
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 60_000 {
            let seconds = Double(milliseconds) / 1000
            return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
        }
        let total = milliseconds / 1000
        let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60)
        if hours > 0 { return minutes > 0 ? "\(hours) h \(minutes) min" : "\(hours) h" }
        return seconds > 0 ? "\(minutes) min \(seconds) s" : "\(minutes) min"
    }
}

extension Duration {
    /// The whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
