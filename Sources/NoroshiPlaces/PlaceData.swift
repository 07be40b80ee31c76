import Foundation

/// Reads `places.bin`, which `scripts/build-places.py` writes.
///
/// Layout (integers are unsigned LEB128 varints, coordinates zigzag varint deltas in 1e-4 degree, each ring
/// starting from 0,0; strings are a varint byte count and UTF-8):
///
///     "NRPL" version
///     count, then per prefecture: number, name, English name, national outline, detailed outline
///     count, then per area: code (six digits with check digit), municipality, English name, polygons
///     geometry = polygon count, per polygon: ring count (exterior first), per ring: point count, points
struct PlaceData {
    enum Failure: Error, CustomStringConvertible, Sendable {
        case malformed(String)
        var description: String {
            switch self {
            case .malformed(let what):
                "The place data (places.bin) is damaged: \(what). Rebuild it with scripts/build-places.py."
            }
        }
    }

    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func header() throws {
        guard bytes.count > 5, bytes[0..<4].elementsEqual(Array("NRPL".utf8)) else {
            throw Failure.malformed("it does not start with NRPL")
        }
        at = 4
        let version = try varint()
        guard version == 1 else { throw Failure.malformed("version \(version) is not 1") }
    }

    var isAtEnd: Bool { at == bytes.count }

    mutating func varint() throws -> Int {
        var value = 0
        var shift = 0
        while true {
            guard at < bytes.count else { throw Failure.malformed("it ends early") }
            let byte = bytes[at]
            at += 1
            value |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            guard shift < 63 else { throw Failure.malformed("a number is too long") }
        }
    }

    mutating func string() throws -> String {
        let count = try varint()
        guard count <= bytes.count - at else { throw Failure.malformed("a name runs past the end") }
        defer { at += count }
        return String(decoding: bytes[at..<(at + count)], as: UTF8.self)
    }

    mutating func geometry() throws -> Geometry {
        var polygons: [[Ring]] = []
        let polygonCount = try varint()
        polygons.reserveCapacity(polygonCount)
        for _ in 0..<polygonCount {
            let ringCount = try varint()
            var rings: [Ring] = []
            for _ in 0..<ringCount {
                let pointCount = try varint()
                guard pointCount >= 3, pointCount <= bytes.count - at else {
                    throw Failure.malformed("a ring has \(pointCount) points")
                }
                var coordinates = ContiguousArray<Int32>()
                coordinates.reserveCapacity(pointCount * 2)
                var x = 0
                var y = 0
                for _ in 0..<pointCount {
                    x += Self.unzigzag(try varint())
                    y += Self.unzigzag(try varint())
                    guard abs(x) <= 1_800_000, abs(y) <= 900_000 else {
                        throw Failure.malformed("a point lies outside the globe")
                    }
                    coordinates.append(Int32(x))
                    coordinates.append(Int32(y))
                }
                rings.append(Ring(coordinates: coordinates))
            }
            polygons.append(rings)
        }
        return Geometry(polygons: polygons)
    }

    private static func unzigzag(_ value: Int) -> Int { (value >> 1) ^ -(value & 1) }
}
