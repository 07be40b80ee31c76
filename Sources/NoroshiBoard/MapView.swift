import Foundation
import NoroshiCore
import NoroshiPlaces

/// What the map shows: its centre and zoom, in the query as `x` (longitude), `y` (latitude) and `z` (1, all
/// of Japan, to 10, a few streets). The server draws the map in pixels of this view, so the SVG carries no
/// more detail than the screen can show.
public struct MapView: Sendable, Hashable {
    public static let width = 960.0
    public static let height = 800.0
    public static let zooms = 1...10
    /// All of Japan from Yonaguni to Nemuro, with the Ogasawara islands.
    public static let home = MapView(longitude: 134.5, latitude: 34.8, zoom: 1)

    public var longitude: Double
    public var latitude: Double
    public var zoom: Int

    public init(longitude: Double, latitude: Double, zoom: Int) {
        self.longitude = min(155, max(120, longitude))
        self.latitude = min(47, max(19, latitude))
        self.zoom = min(Self.zooms.upperBound, max(Self.zooms.lowerBound, zoom))
    }

    /// Pixels per degree of latitude: about 36 at zoom 1, doubling with each level.
    var pixelsPerDegree: Double { 36 * pow(2, Double(zoom - 1)) }
    /// Longitude is scaled by the cosine of the centre's latitude (a local equirectangular projection).
    var cosine: Double { cos(latitude * .pi / 180) }

    func x(_ longitude: Double) -> Double { Self.width / 2 + (longitude - self.longitude) * pixelsPerDegree * cosine }
    func y(_ latitude: Double) -> Double { Self.height / 2 - (latitude - self.latitude) * pixelsPerDegree }

    /// The part of the globe in view.
    public var box: GeoBox {
        let halfLongitude = Self.width / 2 / (pixelsPerDegree * cosine)
        let halfLatitude = Self.height / 2 / pixelsPerDegree
        return GeoBox(
            minLatitude: latitude - halfLatitude, maxLatitude: latitude + halfLatitude,
            minLongitude: longitude - halfLongitude, maxLongitude: longitude + halfLongitude)
    }

    /// The same view moved by a fraction of its size (east and north positive).
    func panned(east: Double, north: Double) -> MapView {
        let box = self.box
        return MapView(
            longitude: longitude + east * (box.maxLongitude - box.minLongitude),
            latitude: latitude + north * (box.maxLatitude - box.minLatitude), zoom: zoom)
    }

    func zoomed(_ steps: Int) -> MapView { MapView(longitude: longitude, latitude: latitude, zoom: zoom + steps) }

    /// The closest view that shows all of `bounds` (1e-4 degree units), with a margin.
    static func fitting(_ bounds: Bounds) -> MapView {
        let minLongitude = Double(bounds.minX) / 10_000
        let maxLongitude = Double(bounds.maxX) / 10_000
        let minLatitude = Double(bounds.minY) / 10_000
        let maxLatitude = Double(bounds.maxY) / 10_000
        var view = MapView(
            longitude: (minLongitude + maxLongitude) / 2, latitude: (minLatitude + maxLatitude) / 2,
            zoom: zooms.upperBound)
        while view.zoom > zooms.lowerBound {
            let box = view.box
            let fits =
                (maxLongitude - minLongitude) * 1.1 <= box.maxLongitude - box.minLongitude
                && (maxLatitude - minLatitude) * 1.1 <= box.maxLatitude - box.minLatitude
            if fits { break }
            view.zoom -= 1
        }
        return view
    }

    /// `x`, `y`, `z` for a link.
    var pairs: [(String, String)] {
        [("x", String(format: "%.4f", longitude)), ("y", String(format: "%.4f", latitude)), ("z", String(zoom))]
    }
}

/// The map's query: the board's filters and, when given, the view.
public struct MapQuery: Sendable, Hashable {
    public var list: ListQuery
    public var view: MapView?

    public init(list: ListQuery = ListQuery(), view: MapView? = nil) {
        self.list = list
        self.view = view
    }

    /// The view to draw: the one asked for, else the chosen prefecture whole, else all of Japan.
    public var resolvedView: MapView {
        if let view { return view }
        if let prefecture = list.prefecture {
            return .fitting(Places.shared.prefectures[prefecture - 1].outline.bounds)
        }
        return .home
    }

    /// Parses `x`, `y` and `z` (all three, or none) and passes the rest to the board's filters.
    public static func parse(_ parameters: [(String, String)]) throws(NoroshiError) -> MapQuery {
        var rest: [(String, String)] = []
        var values: [String: Double] = [:]
        for (key, value) in parameters {
            switch key {
            case "x", "y", "z":
                guard let number = Double(value), number.isFinite else {
                    throw NoroshiError(.invalidInput, "Parameter '\(key)' must be a number.")
                }
                values[key] = number
            case "sort", "page": break  // the list's; a link from the board may carry them
            default: rest.append((key, value))
            }
        }
        var query = MapQuery(list: try ListQuery.parse(rest))
        if !values.isEmpty {
            guard let x = values["x"], let y = values["y"], let z = values["z"] else {
                throw NoroshiError(.invalidInput, "Give the map's view as x (longitude), y (latitude) and z together.")
            }
            guard (120...155).contains(x), (19...47).contains(y) else {
                throw NoroshiError(
                    .invalidInput, "The map shows Japan: x must lie between 120 and 155, y between 19 and 47.")
            }
            guard MapView.zooms.contains(Int(z)) else {
                throw NoroshiError(.invalidInput, "Parameter 'z' (zoom) must be 1 to \(MapView.zooms.upperBound).")
            }
            query.view = MapView(longitude: x, latitude: y, zoom: Int(z))
        }
        return query
    }
}

/// SVG path data in the view's pixels: whole pixels, relative steps, a point dropped when it lands on the pixel of
/// the one before, and rings wholly outside the view left out.
enum SVGPath {
    static func geometry(_ geometry: Geometry, in view: MapView) -> String {
        var out = ""
        for polygon in geometry.polygons {
            for ring in polygon { append(ring, in: view, to: &out) }
        }
        return out
    }

    static func append(_ ring: Ring, in view: MapView, to out: inout String) {
        let bounds = ring.bounds
        let left = view.x(Double(bounds.minX) / 10_000)
        let right = view.x(Double(bounds.maxX) / 10_000)
        let top = view.y(Double(bounds.maxY) / 10_000)
        let bottom = view.y(Double(bounds.minY) / 10_000)
        guard right >= -2, left <= MapView.width + 2, bottom >= -2, top <= MapView.height + 2 else { return }
        // A ring smaller than two pixels is a speck at this zoom.
        guard right - left >= 2 || bottom - top >= 2 else { return }
        let scaleX = view.pixelsPerDegree * view.cosine / 10_000
        let scaleY = view.pixelsPerDegree / 10_000
        let offsetX = MapView.width / 2 - view.longitude * view.pixelsPerDegree * view.cosine
        let offsetY = MapView.height / 2 + view.latitude * view.pixelsPerDegree
        var emitted = 0
        var lastX = 0
        var lastY = 0
        ring.coordinates.withUnsafeBufferPointer { c in
            for index in stride(from: 0, to: c.count, by: 2) {
                let x = Int((Double(c[index]) * scaleX + offsetX).rounded())
                let y = Int((offsetY - Double(c[index + 1]) * scaleY).rounded())
                if emitted == 0 {
                    out += "M\(x) \(y)"
                } else {
                    if x == lastX && y == lastY { continue }
                    out += "l\(x - lastX) \(y - lastY)"
                }
                emitted += 1
                lastX = x
                lastY = y
            }
        }
        out += "z"
    }
}

/// A scale bar of a round length near a quarter of the width; one degree of latitude is about 111.2 km.
struct ScaleBar {
    var width: String
    var label: String

    init(pixelsPerDegree: Double, width: Double) {
        let metresPerPixel = 111_195 / pixelsPerDegree
        let target = metresPerPixel * width / 4
        let steps: [Double] = [
            50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
        ]
        let metres = steps.last { $0 <= target } ?? steps[0]
        self.width = String(format: "%.1f", metres / metresPerPixel)
        label = metres >= 1000 ? "\(Int(metres / 1000)) km" : "\(Int(metres)) m"
    }
}
