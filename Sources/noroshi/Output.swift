import Foundation
import NoroshiCore

/// Text output for people: aligned tables (CJK-aware), relative and local times, JSON for scripts.
enum Output {
    /// Prints rows under a header, each column as wide as its widest cell.
    /// Control characters in cells (stored text typed by others) are shown escaped, never sent to the terminal.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows.map { $0.map { Terminal.visible($0).replacingOccurrences(of: "\n", with: " ") } }
        let widths = header.indices.map { column in all.map { displayWidth($0[column]) }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - displayWidth(cell))
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// Columns a string takes in a terminal: East Asian wide characters take two.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            switch scalar.value {
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
                0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
                width + 2
            case 0x0300...0x036F, 0x200B...0x200F:
                width
            default:
                width + 1
            }
        }
    }

    /// Cuts text to `width` columns, ending with … when it was longer.
    static func truncate(_ text: String, to width: Int) -> String {
        guard displayWidth(text) > width else { return text }
        var result = ""
        for character in text {
            if displayWidth(result + String(character)) > width - 1 { break }
            result.append(character)
        }
        return result + "…"
    }

    /// "just now", "3 min ago", "2 h ago", "4 d ago".
    static func relative(_ date: Date, now: Date = Date()) -> String {
        let seconds = Int(now.timeIntervalSince(date))
        if seconds < 0 { return "in the future" }
        if seconds < 60 { return "just now" }
        if seconds < 3600 { return "\(seconds / 60) min ago" }
        if seconds < 86_400 { return "\(seconds / 3600) h ago" }
        return "\(seconds / 86_400) d ago"
    }

    /// A time in the machine's time zone, e.g. `2026-11-21 09:41`.
    /// A local calendar day, `2026-12-05`, for columns where the hour does not matter.
    static func day(_ date: Date) -> String { format(date, "yyyy-MM-dd") }

    static func local(_ date: Date) -> String { format(date, "yyyy-MM-dd HH:mm") }

    /// `date` in local time with a fixed `pattern`, whatever the user's locale.
    private static func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }

    /// Where an incident is, for a table cell.
    /// A query parameter's value, percent-encoded (prefecture names are Japanese).
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// Where an incident is: its 都道府県 and 市区町村 (岐阜県高山市), else the place the first report named, else
    /// the position (at sea or outside Japan), else "unknown".
    static func place(of incident: Incident) -> String {
        if let area = incident.area { return area.name(japanese: true) }
        if let place = incident.place { return place }
        if let centre = incident.centre {
            return String(format: "at sea or abroad, %.4f, %.4f", centre.latitude, centre.longitude)
        }
        return "unknown"
    }

    /// Dead/missing/injured for a table cell, e.g. `1/?/2`: `?` is a count never reported (unknown, not 0).
    static func casualties(_ c: Casualties) -> String {
        [c.dead, c.missing, c.injured].map { $0.map(String.init) ?? "?" }.joined(separator: "/")
    }

    /// A kind in at most five columns: fire, slide, avian, flood, other.
    static func shortKind(_ kind: IncidentKind) -> String {
        switch kind {
        case .fire: "fire"
        case .landslide: "slide"
        case .avianInfluenza: "avian"
        case .flood: "flood"
        case .other: "other"
        }
    }

    /// How long ago, in at most four columns: `now`, `5m`, `3h`, `2d`.
    static func ago(_ date: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds < 60 { return "now" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 86_400 { return "\(seconds / 3600)h" }
        return "\(seconds / 86_400)d"
    }

    /// The 30-minute rule for a table cell: `#2 +15m` (two issued, the first 15 minutes after 覚知), `due 18m`,
    /// `LATE 5m`, or `none` for a closed incident that never had one.
    static func sokuho(_ incident: Incident, now: Date) -> String {
        guard let state = incident.sokuho else { return "-" }
        if let first = state.firstIssuedAt {
            return "#\(state.count) +\(Int(first.timeIntervalSince(incident.openedAt) / 60))m"
        }
        guard incident.isOpen else { return "none" }
        let minutes = Int(state.dueAt.timeIntervalSince(now) / 60)
        return minutes >= 0 ? "due \(minutes)m" : "LATE \(-minutes)m"
    }

    /// `1,234`.
    static func grouped(_ value: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: NSNumber(value: value)) ?? String(value)
    }

    /// Prints a line of stored text with control characters escaped.
    static func line(_ text: String) { print(Terminal.visible(text)) }

    /// Prints a value as indented JSON.
    static func json<T: Encodable>(_ value: T) throws {
        let data = try JSONEncoder.noroshi(pretty: true).encode(value)
        print(String(decoding: data, as: UTF8.self))
    }
}
