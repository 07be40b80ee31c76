import Foundation

/// Parsing and formatting of RFC 3339 times, e.g. `2026-11-21T09:30:00+09:00` or `2026-11-21T00:30:00.250Z`.
///
/// Written out by hand rather than with `ISO8601DateFormatter`: every response carries several
/// times, and creating a formatter on Linux costs more than the rest of a small response together,
/// while sharing one between threads is not safe. Civil-date arithmetic after Howard Hinnant's
/// `days_from_civil`, proleptic Gregorian calendar, years 0001–9999.
public enum RFC3339 {
    /// Parses an RFC 3339 date-time; nil when the text is not one or names an impossible date.
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<digits {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        guard year >= 1, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds = 0
        if expect("Zz") {
            offsetSeconds = 0
        } else if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D {
            let sign = bytes[index] == 0x2D ? -1 : 1
            index += 1
            guard let hours = number(2), expect(":"), let minutes = number(2), hours <= 23, minutes <= 59 else {
                return nil
            }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Formats a time in UTC with milliseconds, e.g. `2026-11-21T00:30:00.250Z`.
    public static func string(from date: Date) -> String { string(from: date, utcOffset: 0) }

    /// The same in local time with its offset: `2026-11-18T20:06:40.000+09:00` for Japan (`utcOffset` 32400).
    public static func string(from date: Date, utcOffset: Int) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded()) + Int64(utcOffset) * 1000
        let (days, inDay) = floorDivision(milliseconds, 86_400_000)
        let (year, month, day) = civilFromDays(Int(days))
        let ms = Int(inDay)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(ms / 3_600_000, 2) + ":"
            + pad(ms / 60_000 % 60, 2) + ":" + pad(ms / 1000 % 60, 2) + "." + pad(ms % 1000, 3)
            + (utcOffset == 0
                ? "Z"
                : (utcOffset < 0 ? "-" : "+") + pad(abs(utcOffset) / 3600, 2) + ":" + pad(abs(utcOffset) % 3600 / 60, 2))
    }

    /// A wall-clock time to the second at an offset, as spreadsheets read it: `2026-11-18 20:06:40`.
    /// `14:05`: the hour and minute of ``clock(from:utcOffset:)``.
    public static func hourMinute(from date: Date, utcOffset: Int) -> String {
        String(clock(from: date, utcOffset: utcOffset).dropFirst(11).prefix(5))
    }

    public static func clock(from date: Date, utcOffset: Int) -> String {
        let seconds = Int64((date.timeIntervalSince1970).rounded(.down)) + Int64(utcOffset)
        let (days, inDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civilFromDays(Int(days))
        let s = Int(inDay)
        var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: 19)
        func put(_ value: Int, at offset: Int, width: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        put(month, at: 5, width: 2)
        put(day, at: 8, width: 2)
        put(s / 3600, at: 11, width: 2)
        put(s / 60 % 60, at: 14, width: 2)
        put(s % 60, at: 17, width: 2)
        bytes[4] = UInt8(ascii: "-")
        bytes[7] = UInt8(ascii: "-")
        bytes[10] = UInt8(ascii: " ")
        bytes[13] = UInt8(ascii: ":")
        bytes[16] = UInt8(ascii: ":")
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivision(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let quotient = a >= 0 ? a / b : (a - b + 1) / b
        return (quotient, a - quotient * b)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a civil date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Offsets from UTC as people write them: `+09:00`, `+0900`, `-03:30`, `Z`.
public enum UTCOffset {
    /// Seconds east of UTC, or nil when `text` is not an offset (within ±14:00).
    public static func seconds(_ text: String) -> Int? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "Z" || text == "z" { return 0 }
        let digits = text.dropFirst().filter { $0 != ":" }
        guard let sign = text.first.flatMap({ $0 == "+" ? 1 : $0 == "-" ? -1 : nil }), digits.count == 4,
            digits.allSatisfy(\.isASCII), let hours = Int(digits.prefix(2)), let minutes = Int(digits.suffix(2)),
            text.dropFirst().filter({ $0 == ":" }).count <= 1, minutes < 60, hours * 60 + minutes <= 14 * 60
        else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
