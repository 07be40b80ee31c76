import Foundation

/// A position on the WGS 84 ellipsoid in decimal degrees, validated on creation.
public struct GeoPoint: Sendable, Hashable, Codable {
    /// Degrees north of the equator, −90…90.
    public let latitude: Double
    /// Degrees east of Greenwich, −180…180.
    public let longitude: Double

    /// Creates a point, refusing NaN, infinities and values out of range.
    public init(latitude: Double, longitude: Double) throws(NoroshiError) {
        guard latitude.isFinite, longitude.isFinite else {
            throw NoroshiError(.invalidInput, "Latitude and longitude must be finite numbers.")
        }
        guard (-90.0...90.0).contains(latitude) else {
            throw NoroshiError(.invalidInput, "Latitude \(latitude) is out of range; it must be between -90 and 90.")
        }
        guard (-180.0...180.0).contains(longitude) else {
            throw NoroshiError(
                .invalidInput,
                "Longitude \(longitude) is out of range; it must be between -180 and 180."
            )
        }
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Parses `lat,lon` as typed on a command line, e.g. `36.2381,137.1860`.
    public init(parsing text: String) throws(NoroshiError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]) else {
            throw NoroshiError(.invalidInput, "Position '\(text)' is not 'latitude,longitude', e.g. 36.2381,137.1860.")
        }
        try self.init(latitude: lat, longitude: lon)
    }

    /// Mean Earth radius used by the great-circle distance, in metres.
    public static let earthRadiusMetres = 6_371_008.8

    /// Great-circle (haversine) distance to another point, in metres.
    public func distance(to other: GeoPoint) -> Double {
        let lat1 = latitude * .pi / 180
        let lat2 = other.latitude * .pi / 180
        let deltaLat = (other.latitude - latitude) * .pi / 180
        let deltaLon = (other.longitude - longitude) * .pi / 180
        let a = sin(deltaLat / 2) * sin(deltaLat / 2) + cos(lat1) * cos(lat2) * sin(deltaLon / 2) * sin(deltaLon / 2)
        return 2 * Self.earthRadiusMetres * asin(min(1, a.squareRoot()))
    }

    /// A latitude/longitude box that contains every point within `metres` of this one.
    ///
    /// Storage uses it to narrow candidates with an index before measuring exact distances.
    public func boundingBox(metres: Double) -> GeoBox {
        let dLat = metres / Self.earthRadiusMetres * 180 / .pi
        let cosLat = max(cos(latitude * .pi / 180), 0.000_001)
        let dLon = min(180, dLat / cosLat)
        return GeoBox(
            minLatitude: max(-90, latitude - dLat),
            maxLatitude: min(90, latitude + dLat),
            minLongitude: longitude - dLon,
            maxLongitude: longitude + dLon
        )
    }
}

/// A latitude/longitude rectangle; the extent of an incident or a search window.
public struct GeoBox: Sendable, Hashable, Codable {
    public var minLatitude: Double
    public var maxLatitude: Double
    public var minLongitude: Double
    public var maxLongitude: Double

    public init(minLatitude: Double, maxLatitude: Double, minLongitude: Double, maxLongitude: Double) {
        self.minLatitude = minLatitude
        self.maxLatitude = maxLatitude
        self.minLongitude = minLongitude
        self.maxLongitude = maxLongitude
    }

    /// The box around a single point.
    public init(point: GeoPoint) {
        self.init(
            minLatitude: point.latitude,
            maxLatitude: point.latitude,
            minLongitude: point.longitude,
            maxLongitude: point.longitude
        )
    }

    /// This box grown to include `point`.
    public func including(_ point: GeoPoint) -> GeoBox {
        GeoBox(
            minLatitude: min(minLatitude, point.latitude),
            maxLatitude: max(maxLatitude, point.latitude),
            minLongitude: min(minLongitude, point.longitude),
            maxLongitude: max(maxLongitude, point.longitude)
        )
    }

    enum CodingKeys: String, CodingKey {
        case minLatitude = "min_latitude"
        case maxLatitude = "max_latitude"
        case minLongitude = "min_longitude"
        case maxLongitude = "max_longitude"
    }
}
