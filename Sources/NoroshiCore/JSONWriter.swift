import Foundation

/// Writes JSON directly into bytes, for the intake's answer and fingerprint, made once per report.
///
/// Foundation's `JSONEncoder` spent about 35 µs of CPU on each receipt — more than storing the report —
/// through generic containers, a nested encoder per date and key sorting. Types that answer often adopt
/// `JSONWritable` and write the exact bytes `JSONEncoder.noroshi()` would (keys sorted, slashes escaped,
/// dates in RFC 3339, nil fields left out); a test holds the two outputs byte for byte equal.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false
    static let hexDigits = Array("0123456789abcdef".utf8)

    public init() { bytes.reserveCapacity(1024) }

    /// Writes `{`, the members that `body` adds (keys must come in sorted order), and `}`.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// A member whose value is JSON already written (an array of coordinates, `null`).
    public mutating func member(_ key: StaticString, json: String) {
        self.key(key)
        bytes += json.utf8
    }

    public mutating func member(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }

    public mutating func member(_ key: StaticString, _ value: Int64?) {
        guard let value else { return }
        self.key(key)
        raw(String(value))
    }

    public mutating func member(_ key: StaticString, _ value: Int?) {
        member(key, value.map(Int64.init))
    }

    public mutating func member(_ key: StaticString, _ value: Double?) {
        guard let value else { return }
        self.key(key)
        // As JSONEncoder writes a Double: its description, without a trailing ".0".
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        raw(text)
    }

    public mutating func member(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        raw(value ? "true" : "false")
    }

    public mutating func member(_ key: StaticString, _ value: Date?) {
        member(key, value.map(RFC3339.string(from:)))
    }

    public mutating func member(_ key: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        self.key(key)
        value.writeJSON(to: &self)
    }

    /// A member whose key is known only at run time (a count's field), written as `null` when nil.
    public mutating func member(dynamic key: String, _ value: Int?) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        string(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
        raw(value.map(String.init) ?? "null")
    }

    private mutating func key(_ key: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = true
    }

    private mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case UInt8(ascii: "/"): bytes.append(contentsOf: [0x5C, 0x2F])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                bytes.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, Self.hexDigits[Int(byte >> 4)],
                    Self.hexDigits[Int(byte & 0xF)],
                ])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A value that can write its own JSON, identical to its `Encodable` form under `JSONEncoder.noroshi()`.
public protocol JSONWritable: Encodable {
    func writeJSON(to writer: inout JSONWriter)
}

extension JSONWritable {
    /// The compact JSON bytes of this value.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return writer.bytes
    }
}

extension GeoPoint: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("latitude", latitude)
            w.member("longitude", longitude)
        }
    }
}

extension GeoBox: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("max_latitude", maxLatitude)
            w.member("max_longitude", maxLongitude)
            w.member("min_latitude", minLatitude)
            w.member("min_longitude", minLongitude)
        }
    }
}

extension Area: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("code", code)
            w.member("municipality", municipality)
            w.member("municipality_en", municipalityEnglish)
            w.member("prefecture", prefecture)
            w.member("prefecture_en", prefectureEnglish)
        }
    }
}

extension Report: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("accuracy", accuracy)
            w.member("area", area)
            w.member("casualties", casualties)
            w.member("client_key", clientKey)
            w.member("exercise", exercise)
            w.member("homes", homes)
            w.member("id", id)
            w.member("incident_id", incidentID)
            w.member("incident_number", incidentNumber)
            w.member("kind", kind.rawValue)
            w.member("latitude", latitude)
            w.member("link_mode", linkMode.rawValue)
            w.member("longitude", longitude)
            w.member("observed_at", observedAt)
            w.member("observed_at_source", observedAtSource.rawValue)
            w.member("place", place)
            w.member("position_source", positionSource?.rawValue)
            w.member("received_at", receivedAt)
            w.member("reporter", reporter)
            w.member("submitted_by", submittedBy)
            w.member("text", text)
            w.member("unit", unit)
        }
    }
}

extension Incident: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("area", area)
            w.member("casualties", casualties)
            w.member("centre", centre)
            w.member("closed_at", closedAt)
            w.member("exercise", exercise)
            w.member("extent", extent)
            w.member("headquarters", headquarters)
            w.member("homes", homes)
            w.member("id", id)
            w.member("kind", kind.rawValue)
            w.member("last_activity_at", lastActivityAt)
            w.member("merged_into", mergedInto)
            w.member("number", number)
            w.member("opened_at", openedAt)
            w.member("place", place)
            w.member("report_count", reportCount)
            w.member("severity", severity)
            w.member("sokuho", sokuho)
            w.member("status", status.rawValue)
            w.member("title", title)
            w.member("title_is_default", titleIsDefault)
            w.member("updated_at", updatedAt)
        }
    }
}

extension ReportSubmission: JSONWritable {
    /// The canonical form the intake fingerprints for idempotency; it must never change for stored reports.
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("accuracy", accuracy)
            w.member("casualties", casualties)
            w.member("client_key", clientKey)
            w.member("exercise", exercise)
            w.member("homes", homes)
            w.member("incident", incident)
            w.member("kind", kind)
            w.member("latitude", latitude)
            w.member("longitude", longitude)
            w.member("observed_at", observedAt)
            w.member("place", place)
            w.member("reporter", reporter)
            w.member("text", text)
            w.member("unit", unit)
        }
    }
}

extension ReportReceipt: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.member("created", created)
            w.member("incident", incident)
            w.member("opened_incident", openedIncident)
            w.member("report", report)
        }
    }
}
