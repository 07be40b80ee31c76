import Foundation
import NoroshiCore

/// The incident page's position inset: the reports' positions and the incident's extent, drawn by the server as
/// SVG in a local projection (longitude scaled by the cosine of the latitude), with a scale bar.
struct MapInset {
    static let width = 400.0
    static let height = 260.0

    var viewBox: String
    var points: [Point]
    var extent: Rect?
    var scaleLabel: String
    var scaleWidth: String

    struct Point {
        var x: String
        var y: String
        var label: String
        var anchor: String
    }

    struct Rect {
        var x: String
        var y: String
        var width: String
        var height: String
    }

    /// Nil when no report has a position.
    init?(reports: [Report], extent: GeoBox?) {
        let located = reports.compactMap { report in report.position.map { (report, $0) } }
        guard !located.isEmpty else { return nil }
        let minLat = located.map(\.1.latitude).min()!
        let maxLat = located.map(\.1.latitude).max()!
        let minLon = located.map(\.1.longitude).min()!
        let maxLon = located.map(\.1.longitude).max()!
        let midLat = (minLat + maxLat) / 2
        let cosine = max(0.1, cos(midLat * .pi / 180))
        // At least about 600 m across, so that one report sits in the middle of a readable area.
        let spanX = max((maxLon - minLon) * cosine, 0.0055) * 1.3
        let spanY = max(maxLat - minLat, 0.0055 * Self.height / Self.width) * 1.3
        let scale = min(Self.width / spanX, Self.height / spanY)
        let centreX = (minLon + maxLon) / 2 * cosine
        let centreY = (minLat + maxLat) / 2
        func x(_ lon: Double) -> Double { Self.width / 2 + (lon * cosine - centreX) * scale }
        func y(_ lat: Double) -> Double { Self.height / 2 - (lat - centreY) * scale }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        viewBox = "0 0 \(Int(Self.width)) \(Int(Self.height))"
        points = located.map { report, position in
            Point(
                x: f(x(position.longitude)), y: f(y(position.latitude)), label: "#\(report.id)",
                anchor: "#report-\(report.id)")
        }
        if let extent, extent.maxLatitude > extent.minLatitude || extent.maxLongitude > extent.minLongitude {
            self.extent = Rect(
                x: f(x(extent.minLongitude)), y: f(y(extent.maxLatitude)),
                width: f(max(1, (extent.maxLongitude - extent.minLongitude) * cosine * scale)),
                height: f(max(1, (extent.maxLatitude - extent.minLatitude) * scale)))
        }
        let bar = ScaleBar(pixelsPerDegree: scale, width: Self.width)
        scaleWidth = bar.width
        scaleLabel = bar.label
    }
}
