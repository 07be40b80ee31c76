/// A closed ring of points in 1e-4 degree units, stored as x (longitude), y (latitude) pairs; the last point
/// joins the first.
public struct Ring: Sendable {
    public let coordinates: ContiguousArray<Int32>
    public let bounds: Bounds

    init(coordinates: ContiguousArray<Int32>) {
        self.coordinates = coordinates
        var bounds = Bounds.empty
        for index in stride(from: 0, to: coordinates.count, by: 2) {
            bounds.include(x: coordinates[index], y: coordinates[index + 1])
        }
        self.bounds = bounds
    }

    public var pointCount: Int { coordinates.count / 2 }

    /// Whether the point lies inside (crossing-number rule; a point exactly on an edge may go either way).
    func contains(x: Int32, y: Int32) -> Bool {
        guard bounds.contains(x: x, y: y) else { return false }
        return coordinates.withUnsafeBufferPointer { c in
            let n = c.count / 2
            var inside = false
            var j = n - 1
            let px = Int64(x)
            let py = Int64(y)
            for i in 0..<n {
                let xi = Int64(c[2 * i])
                let yi = Int64(c[2 * i + 1])
                let xj = Int64(c[2 * j])
                let yj = Int64(c[2 * j + 1])
                if (yi > py) != (yj > py) {
                    // px < xi + (py - yi) * (xj - xi) / (yj - yi), without division.
                    let lhs = (px - xi) * (yj - yi)
                    let rhs = (py - yi) * (xj - xi)
                    if (yj > yi) ? lhs < rhs : lhs > rhs { inside.toggle() }
                }
                j = i
            }
            return inside
        }
    }

    /// The squared distance from the point to the nearest edge, with longitude differences scaled by `xScale`
    /// (the cosine of the latitude) so that both axes are in the same units.
    func squaredDistance(x: Int32, y: Int32, xScale: Double) -> Double {
        coordinates.withUnsafeBufferPointer { c in
            let n = c.count / 2
            var best = Double.infinity
            var j = n - 1
            let px = Double(x) * xScale
            let py = Double(y)
            for i in 0..<n {
                let ax = Double(c[2 * j]) * xScale
                let ay = Double(c[2 * j + 1])
                let bx = Double(c[2 * i]) * xScale
                let by = Double(c[2 * i + 1])
                let dx = bx - ax
                let dy = by - ay
                let length = dx * dx + dy * dy
                var t = length > 0 ? ((px - ax) * dx + (py - ay) * dy) / length : 0
                t = min(1, max(0, t))
                let ex = ax + t * dx - px
                let ey = ay + t * dy - py
                best = min(best, ex * ex + ey * ey)
                j = i
            }
            return best
        }
    }
}

/// Polygons, each an exterior ring followed by its holes.
public struct Geometry: Sendable {
    public let polygons: [[Ring]]
    public let bounds: Bounds

    init(polygons: [[Ring]]) {
        self.polygons = polygons
        var bounds = Bounds.empty
        for polygon in polygons { if let exterior = polygon.first { bounds.include(exterior.bounds) } }
        self.bounds = bounds
    }

    public var pointCount: Int { polygons.reduce(0) { $0 + $1.reduce(0) { $0 + $1.pointCount } } }

    static func contains(_ polygon: [Ring], x: Int32, y: Int32) -> Bool {
        guard let exterior = polygon.first, exterior.contains(x: x, y: y) else { return false }
        return !polygon.dropFirst().contains { $0.contains(x: x, y: y) }
    }
}

/// A box in 1e-4 degree units.
public struct Bounds: Sendable, Hashable {
    public var minX: Int32
    public var minY: Int32
    public var maxX: Int32
    public var maxY: Int32

    public init(minX: Int32, minY: Int32, maxX: Int32, maxY: Int32) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    static let empty = Bounds(minX: .max, minY: .max, maxX: .min, maxY: .min)

    public var isEmpty: Bool { minX > maxX }

    mutating func include(x: Int32, y: Int32) {
        minX = min(minX, x)
        minY = min(minY, y)
        maxX = max(maxX, x)
        maxY = max(maxY, y)
    }

    mutating func include(_ other: Bounds) {
        guard !other.isEmpty else { return }
        include(x: other.minX, y: other.minY)
        include(x: other.maxX, y: other.maxY)
    }

    func contains(x: Int32, y: Int32) -> Bool { x >= minX && x <= maxX && y >= minY && y <= maxY }

    public func intersects(_ other: Bounds) -> Bool {
        minX <= other.maxX && other.minX <= maxX && minY <= other.maxY && other.minY <= maxY
    }
}
