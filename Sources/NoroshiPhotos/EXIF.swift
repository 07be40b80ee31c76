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

    public init() {}

    /// When the photo was taken: the original time with its recorded offset, or with `assumedOffset`
    /// (seconds east of UTC) when the camera recorded none; nil without a valid `DateTimeOriginal`.
    public func takenAt(assumedOffset: Int) -> Date? {
        guard let text = dateTimeOriginal else { return nil }
        let offset = offsetTimeOriginal.flatMap(EXIF.parseOffset) ?? assumedOffset
        return EXIF.parseDateTime(text, subSeconds: subSecTimeOriginal, offset: offset)
    }
}

/// Why an EXIF block could not be read.
public struct EXIFError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var description: String { "bad EXIF: \(reason)" }

    init(_ reason: String) { self.reason = reason }
}

/// A reader for the EXIF (TIFF) structure inside a JPEG's APP1 segment.
///
/// Hostile input is expected: every offset and count is checked against the block's length before
/// use, each IFD is visited at most once (no loops), and at most a few hundred entries are read.
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
        let ifd0 = try entries(at: Int(first), name: "IFD0")
        for entry in ifd0 {
            switch entry.tag {
            case 0x010F: result.make = ascii(entry)
            case 0x0110: result.model = ascii(entry)
            case 0x0112:
                if let value = integers(entry).first, (1...8).contains(value) { result.orientation = value }
            default: break
            }
        }
        if let pointer = ifd0.first(where: { $0.tag == 0x8769 }).flatMap({ integers($0).first }) {
            for entry in try entries(at: pointer, name: "Exif IFD") {
                switch entry.tag {
                case 0x9003: result.dateTimeOriginal = ascii(entry)
                case 0x9011: result.offsetTimeOriginal = ascii(entry)
                case 0x9291: result.subSecTimeOriginal = ascii(entry)
                default: break
                }
            }
        }
        if let pointer = ifd0.first(where: { $0.tag == 0x8825 }).flatMap({ integers($0).first }) {
            try readGPS(at: pointer, into: &result)
        }
        return result
    }

    private mutating func readGPS(at offset: Int, into result: inout EXIFMetadata) throws(EXIFError) {
        var latitudeRef: String?
        var longitudeRef: String?
        var latitude: [Double]?
        var longitude: [Double]?
        var altitudeBelow = false
        var altitude: Double?
        for entry in try entries(at: offset, name: "GPS IFD") {
            switch entry.tag {
            case 0x0001: latitudeRef = ascii(entry)
            case 0x0002: latitude = try rationals(entry, name: "GPS latitude")
            case 0x0003: longitudeRef = ascii(entry)
            case 0x0004: longitude = try rationals(entry, name: "GPS longitude")
            case 0x0005: altitudeBelow = integers(entry).first == 1
            case 0x0006: altitude = try rationals(entry, name: "GPS altitude").first
            default: break
            }
        }
        if let latitude, let longitude, latitude.count == 3, longitude.count == 3 {
            var lat = latitude[0] + latitude[1] / 60 + latitude[2] / 3600
            var lon = longitude[0] + longitude[1] / 60 + longitude[2] / 3600
            switch latitudeRef?.uppercased() {
            case "N": break
            case "S": lat = -lat
            default: throw EXIFError("GPS latitude has no N/S reference")
            }
            switch longitudeRef?.uppercased() {
            case "E": break
            case "W": lon = -lon
            default: throw EXIFError("GPS longitude has no E/W reference")
            }
            guard (-90...90).contains(lat), (-180...180).contains(lon) else {
                throw EXIFError("GPS position \(lat), \(lon) is out of range")
            }
            result.latitude = lat
            result.longitude = lon
        } else if latitude != nil || longitude != nil {
            throw EXIFError("GPS position needs three rationals each for latitude and longitude")
        }
        if let altitude { result.altitude = altitudeBelow ? -altitude : altitude }
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
        case 4, 9: 4
        case 5, 10: 8
        default: nil
        }
    }

    private mutating func entries(at offset: Int, name: String) throws(EXIFError) -> [Entry] {
        guard !visited.contains(offset) else { throw EXIFError("\(name) points back to an IFD already read (a loop)") }
        visited.insert(offset)
        guard let count = u16(at: offset) else { throw EXIFError("\(name) offset \(offset) is outside the block") }
        guard offset + 2 + count * 12 <= bytes.count else {
            throw EXIFError("\(name) claims \(count) entries, more than the block holds")
        }
        entriesRead += count
        guard entriesRead <= Self.maxEntries else { throw EXIFError("too many IFD entries") }
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
                throw EXIFError("\(name) tag 0x\(String(tag, radix: 16)) points outside the block")
            }
            result.append(Entry(tag: tag, type: type, count: valueCount, valueOffset: valueOffset))
        }
        return result
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

    /// Unsigned integer values (BYTE, SHORT, LONG); at most 16 are read.
    private func integers(_ entry: Entry) -> [Int] {
        (0..<min(entry.count, 16)).compactMap { index in
            switch entry.type {
            case 1, 7: Int(bytes[entry.valueOffset + index])
            case 3: u16(at: entry.valueOffset + index * 2)
            case 4: u32(at: entry.valueOffset + index * 4)
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
