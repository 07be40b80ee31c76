import Foundation

/// What Noroshi reads from a photo's EXIF block: camera, time, orientation and position.
public struct EXIFMetadata: Sendable, Hashable {
    /// 1 (upright) to 8, as the camera recorded it; nil when absent or out of range.
    public var orientation: Int?
    /// `DateTimeOriginal` exactly as written, e.g. `2026:11:21 09:30:05`.
    public var dateTimeOriginal: String?
    /// `OffsetTimeOriginal` as written, e.g. `+09:00`.
    public var offsetTimeOriginal: String?
    /// `SubSecTimeOriginal` as written, e.g. `120`.
    public var subSecTimeOriginal: String?
    /// Signed decimal degrees (south and west negative).
    public var latitude: Double?
    public var longitude: Double?
    /// Metres above sea level (negative below).
    public var altitude: Double?
    public var make: String?
    public var model: String?
    /// The parts of the block that could not be read, each with why; everything else was read.
    public var unreadable: [EXIFPart: String] = [:]

    public init() {}

    /// The orientation to apply: as recorded, or 1 (upright) when none is (what a missing tag means).
    public var effectiveOrientation: Int { orientation ?? 1 }

    /// One line naming the unreadable parts, for a photo's `exif_error`; nil when every part was read.
    public var unreadableSummary: String? {
        guard !unreadable.isEmpty else { return nil }
        return "EXIF partly unreadable: "
            + unreadable.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) (\($0.value))" }
            .joined(separator: "; ")
    }

    /// Notes a part as unreadable (the first reason found is kept).
    mutating func lose(_ part: EXIFPart, _ reason: String) {
        if unreadable[part] == nil { unreadable[part] = reason }
    }

    /// When the photo was taken: the original time with its recorded offset, or with `assumedOffset`
    /// (seconds east of UTC) when the camera recorded none; nil without a valid `DateTimeOriginal`.
    public func takenAt(assumedOffset: Int) -> Date? {
        guard let text = dateTimeOriginal else { return nil }
        let offset = offsetTimeOriginal.flatMap(EXIF.parseOffset) ?? assumedOffset
        return EXIF.parseDateTime(text, subSeconds: subSecTimeOriginal, offset: offset)
    }
}

/// The parts of an EXIF block Noroshi reads; a damaged one is lost alone.
public enum EXIFPart: String, Sendable, Hashable, CaseIterable, Codable {
    /// `Make` and `Model` in IFD0.
    case camera
    case orientation
    /// `DateTimeOriginal`, `OffsetTimeOriginal` and `SubSecTimeOriginal` in the Exif IFD.
    case time
    /// GPS latitude and longitude.
    case position
    /// GPS altitude.
    case altitude
}

/// Why an EXIF block could not be read at all (its TIFF header, or IFD0's place).
public struct EXIFError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var description: String { "bad EXIF: \(reason)" }

    init(_ reason: String) { self.reason = reason }
}

/// A reader for the EXIF (TIFF) structure inside a JPEG's APP1 segment.
///
/// Hostile input is expected: every offset and count is checked against the block's length before
/// use, each IFD is visited at most once (no loops), and at most a thousand entries are read. Damage
/// loses only what it touches, as exiftool reads such files: a directory that points outside the block
/// loses that directory's part, a value that does (a maker note, say) loses that value, a zero
/// denominator loses its value; only a broken TIFF header loses the block.
public enum EXIF {
    /// The APP1 payload prefix that marks EXIF (as opposed to XMP, which also lives in APP1).
    static let header: [UInt8] = Array("Exif".utf8) + [0, 0]

    /// Reads an APP1 payload (the bytes after the segment length). Returns nil when the payload is not
    /// EXIF at all; throws when it claims to be EXIF but its structure is broken.
    public static func read(app1 payload: [UInt8]) throws(EXIFError) -> EXIFMetadata? {
        guard payload.count >= header.count, Array(payload.prefix(header.count)) == header else { return nil }
        var reader = try TIFFReader(bytes: Array(payload.dropFirst(header.count)))
        return try reader.metadata()
    }

    /// Up to three decimal numbers in `text`, as exiftool takes them from a coordinate written as text.
    public static func decimals(in text: String) -> [Double] {
        var values: [Double] = []
        var current = ""
        for character in text + " " {
            if character.isASCII && (character.isNumber || character == "." || (current.isEmpty && character == "-")) {
                current.append(character)
            } else {
                if let value = Double(current) { values.append(value) }
                current = ""
            }
            if values.count == 3 { break }
        }
        return values
    }

    /// Seconds east of UTC from `+09:00`, `-05:30` or `Z`.
    static func parseOffset(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "Z" { return 0 }
        let bytes = Array(trimmed.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
            bytes[3] == UInt8(ascii: ":"),
            let hours = Int(String(decoding: bytes[1...2], as: UTF8.self)),
            let minutes = Int(String(decoding: bytes[4...5], as: UTF8.self)),
            hours <= 14, minutes < 60
        else { return nil }
        let seconds = hours * 3600 + minutes * 60
        return bytes[0] == UInt8(ascii: "-") ? -seconds : seconds
    }

    /// Parses `YYYY:MM:DD HH:MM:SS` at the given offset; nil for blank (`    :  :  `) or impossible values.
    static func parseDateTime(_ text: String, subSeconds: String?, offset: Int) -> Date? {
        let bytes = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        guard bytes.count == 19 else { return nil }
        func number(_ range: ClosedRange<Int>) -> Int? {
            guard bytes[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        let colon = UInt8(ascii: ":")
        guard bytes[4] == colon, bytes[7] == colon, bytes[10] == UInt8(ascii: " "), bytes[13] == colon,
            bytes[16] == colon
        else { return nil }
        guard let year = number(0...3), let month = number(5...6), let day = number(8...9),
            let hour = number(11...12), let minute = number(14...15), let second = number(17...18),
            (1900...2999).contains(year), (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second < 61
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        guard let zone = TimeZone(secondsFromGMT: offset) else { return nil }
        calendar.timeZone = zone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == day  // refuses 31 February
        else { return nil }
        var fraction = 0.0
        if let subSeconds {
            let digits = subSeconds.trimmingCharacters(in: .whitespaces)
            if !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), let value = Int(digits), value >= 0 {
                fraction = Double(value) / pow(10, Double(digits.count))
            }
        }
        return date.addingTimeInterval(fraction)
    }
}

/// Bounds-checked reading of a TIFF structure in either byte order.
struct TIFFReader {
    let bytes: [UInt8]
    let bigEndian: Bool
    /// IFD offsets already read, to refuse loops.
    private var visited: Set<Int> = []
    /// Entries read so far, across all IFDs, to bound the work on absurd counts.
    private var entriesRead = 0

    static let maxEntries = 1_000

    init(bytes: [UInt8]) throws(EXIFError) {
        guard bytes.count >= 8 else { throw EXIFError("the TIFF header is truncated") }
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): bigEndian = false
        case (0x4D, 0x4D): bigEndian = true
        default: throw EXIFError("unknown byte order")
        }
        self.bytes = bytes
        guard u16(at: 2) == 42 else { throw EXIFError("the TIFF magic number is not 42") }
    }

    mutating func metadata() throws(EXIFError) -> EXIFMetadata {
        var result = EXIFMetadata()
        guard let first = u32(at: 4) else { throw EXIFError("the TIFF header is truncated") }
        guard u16(at: first) != nil else { throw EXIFError("IFD0 offset \(first) is outside the block") }
        let ifd0 = directory(at: first, name: "IFD0", part: .camera, into: &result)
        for entry in ifd0 {
            switch entry.tag {
            case 0x010F: result.make = ascii(entry)
            case 0x0110: result.model = ascii(entry)
            case 0x0112:
                if let value = integers(entry).first, (1...8).contains(value) { result.orientation = value }
            // Some writers put the original time in IFD0; the Exif IFD's, read next, wins when both have it.
            case 0x9003: result.dateTimeOriginal = ascii(entry)
            case 0x9011: result.offsetTimeOriginal = ascii(entry)
            case 0x9291: result.subSecTimeOriginal = ascii(entry)
            default: break
            }
        }
        if let pointer = pointer(0x8769, in: ifd0) {
            for entry in directory(at: pointer, name: "Exif IFD", part: .time, into: &result) {
                switch entry.tag {
                case 0x9003: result.dateTimeOriginal = ascii(entry) ?? result.dateTimeOriginal
                case 0x9011: result.offsetTimeOriginal = ascii(entry) ?? result.offsetTimeOriginal
                case 0x9291: result.subSecTimeOriginal = ascii(entry) ?? result.subSecTimeOriginal
                default: break
                }
            }
        }
        if let pointer = pointer(0x8825, in: ifd0) {
            readGPS(at: pointer, into: &result)
        }
        return result
    }

    /// A sub-IFD's offset: any integer type (some writers store it signed), or the IFD type.
    private func pointer(_ tag: Int, in entries: [Entry]) -> Int? {
        entries.first { $0.tag == tag }.flatMap { integers($0).first }
    }

    /// The entries of one IFD; what cannot be read is noted against `part` and the rest is returned.
    private mutating func directory(
        at offset: Int, name: String, part: EXIFPart, into result: inout EXIFMetadata
    ) -> [Entry] {
        let (entries, problems) = self.entries(at: offset, name: name)
        for (tag, reason) in problems {
            // A value Noroshi does not read (a maker note, a thumbnail) is skipped without a word.
            guard let lost = Self.part(ofTag: tag, in: part) else { continue }
            result.lose(lost, reason)
        }
        return entries
    }

    /// The part a tag's value belongs to (a `nil` tag: the directory itself); nil for tags Noroshi ignores.
    private static func part(ofTag tag: Int?, in directory: EXIFPart) -> EXIFPart? {
        switch (directory, tag) {
        case (_, nil): directory
        case (.camera, 0x010F), (.camera, 0x0110): .camera
        case (.camera, 0x0112): .orientation
        case (.camera, 0x8769), (.camera, 0x9003), (.camera, 0x9011), (.camera, 0x9291): .time
        case (.camera, 0x8825): .position
        case (.time, 0x9003), (.time, 0x9011), (.time, 0x9291): .time
        case (.position, 0x0001), (.position, 0x0002), (.position, 0x0003), (.position, 0x0004): .position
        case (.position, 0x0005), (.position, 0x0006): .altitude
        default: nil
        }
    }

    private mutating func readGPS(at offset: Int, into result: inout EXIFMetadata) {
        var latitudeRef: String?
        var longitudeRef: String?
        var latitude: [Double]?
        var longitude: [Double]?
        var altitudeBelow = false
        var altitude: Double?
        do throws(EXIFError) {
            let entries = directory(at: offset, name: "GPS IFD", part: .position, into: &result)
            for entry in entries {
                switch entry.tag {
                case 0x0001: latitudeRef = ascii(entry)
                case 0x0002: latitude = try coordinate(entry, name: "GPS latitude")
                case 0x0003: longitudeRef = ascii(entry)
                case 0x0004: longitude = try coordinate(entry, name: "GPS longitude")
                default: break
                }
            }
            for entry in entries {
                switch entry.tag {
                case 0x0005: altitudeBelow = integers(entry).first == 1
                case 0x0006:
                    do throws(EXIFError) {
                        altitude = try numbers(entry, name: "GPS altitude").first
                    } catch {
                        result.lose(.altitude, error.reason)
                    }
                default: break
                }
            }
            if let altitude { result.altitude = altitudeBelow ? -altitude : altitude }
            guard let latitude, let longitude else {
                if latitude != nil || longitude != nil {
                    throw EXIFError("GPS position has a latitude or a longitude, not both")
                }
                return
            }
            var lat = Self.degrees(latitude)
            var lon = Self.degrees(longitude)
            switch latitudeRef?.uppercased().first {
            case "N": break
            case "S": lat = -lat
            default: throw EXIFError("GPS latitude has no N/S reference")
            }
            switch longitudeRef?.uppercased().first {
            case "E": break
            case "W": lon = -lon
            default: throw EXIFError("GPS longitude has no E/W reference")
            }
            guard lat.isFinite, lon.isFinite, (-90...90).contains(lat), (-180...180).contains(lon) else {
                throw EXIFError("GPS position \(lat), \(lon) is out of range")
            }
            result.latitude = lat
            result.longitude = lon
        } catch {
            result.lose(.position, error.reason)
        }
    }

    /// Degrees, minutes and seconds (as many as are given, up to three) as decimal degrees.
    static func degrees(_ values: [Double]) -> Double {
        zip(values.prefix(3), [1.0, 60, 3600]).reduce(0) { $0 + $1.0 / $1.1 }
    }

    /// A GPS coordinate: three rationals as the standard says, or (as some phones and editors write it) text
    /// holding one to three numbers ("36.1461", "36 8 46.0", "36,8.77").
    private func coordinate(_ entry: Entry, name: String) throws(EXIFError) -> [Double] {
        let values = try numbers(entry, name: name)
        guard (1...3).contains(values.count) else { throw EXIFError("\(name) has \(values.count) values") }
        return values
    }

    /// Rationals, integers or numbers written as text, as doubles.
    private func numbers(_ entry: Entry, name: String) throws(EXIFError) -> [Double] {
        if entry.type == 2 {
            guard let text = ascii(entry) else { throw EXIFError("\(name) is empty text") }
            let values = EXIF.decimals(in: text)
            guard !values.isEmpty else { throw EXIFError("\(name) is text without a number") }
            return values
        }
        if entry.type == 5 || entry.type == 10 { return try rationals(entry, name: name) }
        let integers = integers(entry)
        guard !integers.isEmpty else { throw EXIFError("\(name) is not a number") }
        return integers.map(Double.init)
    }

    // MARK: Entries

    struct Entry {
        var tag: Int
        var type: Int
        var count: Int
        /// Offset of the value's bytes in `bytes`: inline in the entry when they fit in four bytes.
        var valueOffset: Int
    }

    /// The size of one value of a TIFF type, or nil for types Noroshi does not read.
    static func size(ofType type: Int) -> Int? {
        switch type {
        case 1, 2, 6, 7: 1
        case 3, 8: 2
        case 4, 9, 13: 4
        case 5, 10: 8
        default: nil
        }
    }

    /// The entries of the IFD at `offset` whose values lie inside the block, and the problems met: with a
    /// tag for one entry's value (that entry is left out), with nil for the directory itself (a loop, an
    /// offset outside the block, or fewer entries than it claims: those that fit are returned).
    private mutating func entries(at offset: Int, name: String) -> ([Entry], [(Int?, String)]) {
        guard !visited.contains(offset) else { return ([], [(nil, "\(name) points back to an IFD already read")]) }
        visited.insert(offset)
        guard let claimed = u16(at: offset) else {
            return ([], [(nil, "\(name) offset \(offset) is outside the block")])
        }
        var problems: [(Int?, String)] = []
        var count = claimed
        if offset + 2 + count * 12 > bytes.count {
            count = max(0, (bytes.count - offset - 2) / 12)
            problems.append((nil, "\(name) claims \(claimed) entries, the block holds \(count)"))
        }
        guard entriesRead + count <= Self.maxEntries else { return ([], [(nil, "too many IFD entries")]) }
        entriesRead += count
        var result: [Entry] = []
        for index in 0..<count {
            let at = offset + 2 + index * 12
            guard let tag = u16(at: at), let type = u16(at: at + 2), let valueCount = u32(at: at + 4) else { continue }
            guard let size = Self.size(ofType: type) else { continue }  // unknown types are skipped, as TIFF asks
            let length = size * valueCount  // at most 8 × (2³²−1): no overflow in Int
            var valueOffset = at + 8
            if length > 4 {
                guard let pointer = u32(at: at + 8) else { continue }
                valueOffset = pointer
            }
            guard valueOffset + length <= bytes.count else {
                problems.append((tag, "\(name) tag 0x\(String(tag, radix: 16)) points outside the block"))
                continue
            }
            result.append(Entry(tag: tag, type: type, count: valueCount, valueOffset: valueOffset))
        }
        return (result, problems)
    }

    /// ASCII text with trailing NULs and spaces trimmed; nil when empty or not ASCII/UTF-8.
    private func ascii(_ entry: Entry) -> String? {
        guard entry.type == 2 || entry.type == 7, entry.count <= 4096 else { return nil }
        var slice = bytes[entry.valueOffset..<entry.valueOffset + entry.count]
        if let nul = slice.firstIndex(of: 0) { slice = slice[..<nul] }
        guard let text = String(validating: slice, as: UTF8.self) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Integer values (BYTE, SHORT, LONG, their signed forms, and IFD offsets); at most 16 are read.
    private func integers(_ entry: Entry) -> [Int] {
        (0..<min(entry.count, 16)).compactMap { index in
            switch entry.type {
            case 1, 7: Int(bytes[entry.valueOffset + index])
            case 6: Int(Int8(bitPattern: bytes[entry.valueOffset + index]))
            case 3: u16(at: entry.valueOffset + index * 2)
            case 8: u16(at: entry.valueOffset + index * 2).map { Int(Int16(truncatingIfNeeded: $0)) }
            case 4, 13: u32(at: entry.valueOffset + index * 4)
            case 9: u32(at: entry.valueOffset + index * 4).map { Int(Int32(truncatingIfNeeded: $0)) }
            default: nil
            }
        }
    }

    /// RATIONAL or SRATIONAL values as doubles; a zero denominator is an error.
    private func rationals(_ entry: Entry, name: String) throws(EXIFError) -> [Double] {
        guard entry.type == 5 || entry.type == 10 else { throw EXIFError("\(name) is not a rational") }
        guard entry.count <= 16 else { throw EXIFError("\(name) has \(entry.count) values") }
        var values: [Double] = []
        for index in 0..<entry.count {
            let at = entry.valueOffset + index * 8
            guard let numerator = u32(at: at), let denominator = u32(at: at + 4) else {
                throw EXIFError("\(name) is truncated")
            }
            guard denominator != 0 else { throw EXIFError("\(name) has a zero denominator") }
            if entry.type == 10 {
                values.append(
                    Double(Int32(truncatingIfNeeded: numerator)) / Double(Int32(truncatingIfNeeded: denominator)))
            } else {
                values.append(Double(numerator) / Double(denominator))
            }
        }
        return values
    }

    // MARK: Raw reads (nil when out of range)

    func u16(at offset: Int) -> Int? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        let a = Int(bytes[offset])
        let b = Int(bytes[offset + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    func u32(at offset: Int) -> Int? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        let b = (0..<4).map { Int(bytes[offset + $0]) }
        return bigEndian ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
    }
}
