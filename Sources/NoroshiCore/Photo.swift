import Foundation

/// A photo attached to a report, as the API returns it: what the file is, what its EXIF says, and
/// whether its small copies are ready. The original is kept byte for byte under its SHA-256.
public struct Photo: Sendable, Hashable, Codable {
    /// Where the chat and thumb copies stand.
    public enum Derivatives: String, Sendable, Hashable, Codable {
        /// Waiting for (or in) the background job.
        case pending
        /// Both copies exist.
        case ready
        /// The copies could not be made; the original is still kept.
        case failed
    }

    /// A small copy's size in pixels, upright.
    public struct Size: Sendable, Hashable, Codable {
        public var width: Int
        public var height: Int

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        /// The upright size of a copy with this long side of a photo stored `width`×`height` with EXIF
        /// `orientation` (5–8 turn it a quarter): never larger than the photo.
        public static func fitted(width: Int, height: Int, orientation: Int, longSide: Int) -> Size {
            let (w, h) = (5...8).contains(orientation) ? (height, width) : (width, height)
            let scale = min(1, Double(longSide) / Double(max(w, h, 1)))
            return Size(
                width: max(1, Int((Double(w) * scale).rounded())), height: max(1, Int((Double(h) * scale).rounded())))
        }

        /// True when both sides are within `tolerance` pixels of the other's (rounding differs between makers).
        public func agrees(with other: Size, tolerance: Int = 2) -> Bool {
            abs(width - other.width) <= tolerance && abs(height - other.height) <= tolerance
        }
    }

    /// Lowercase hex SHA-256 of the original file: its name in `/v1/photos/{sha256}`.
    public var sha256: String
    public var bytes: Int
    /// Pixel size as stored in the file (before orientation).
    public var width: Int
    public var height: Int
    /// EXIF orientation 1–8, when recorded.
    public var orientation: Int?
    /// When the camera took it: EXIF DateTimeOriginal with its offset (or the server's when none).
    public var takenAt: Date?
    /// EXIF DateTimeOriginal and OffsetTimeOriginal exactly as written.
    public var takenAtText: String?
    public var latitude: Double?
    public var longitude: Double?
    public var altitude: Double?
    public var make: String?
    public var model: String?
    /// Why the EXIF block was ignored, when it was broken.
    public var exifError: String?
    public var receivedAt: Date
    public var derivatives: Derivatives
    public var chat: Size?
    public var thumb: Size?
    /// Why the copies could not be made, when they failed.
    public var derivativeError: String?
    /// True while only a preview has arrived: the device's chat copy, sent ahead of the original on a thin
    /// link. `bytes`, `width`, `height` and `orientation` are then what the device announced for the original,
    /// the chat copy is the preview itself, and the original (and its EXIF) is still on its way. Absent once
    /// the original is here.
    public var previewOnly: Bool?

    public init(
        sha256: String, bytes: Int, width: Int, height: Int, orientation: Int? = nil, takenAt: Date? = nil,
        takenAtText: String? = nil, latitude: Double? = nil, longitude: Double? = nil, altitude: Double? = nil,
        make: String? = nil, model: String? = nil, exifError: String? = nil, receivedAt: Date,
        derivatives: Derivatives = .pending, chat: Size? = nil, thumb: Size? = nil, derivativeError: String? = nil,
        previewOnly: Bool? = nil
    ) {
        self.sha256 = sha256
        self.bytes = bytes
        self.width = width
        self.height = height
        self.orientation = orientation
        self.takenAt = takenAt
        self.takenAtText = takenAtText
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.make = make
        self.model = model
        self.exifError = exifError
        self.receivedAt = receivedAt
        self.derivatives = derivatives
        self.chat = chat
        self.thumb = thumb
        self.derivativeError = derivativeError
        self.previewOnly = previewOnly
    }

    /// The position the photo was taken at, when its EXIF has one.
    public var position: GeoPoint? {
        guard let latitude, let longitude else { return nil }
        return try? GeoPoint(latitude: latitude, longitude: longitude)
    }

    enum CodingKeys: String, CodingKey {
        case sha256, bytes, width, height, orientation
        case takenAt = "taken_at"
        case takenAtText = "taken_at_text"
        case latitude, longitude, altitude, make, model
        case exifError = "exif_error"
        case receivedAt = "received_at"
        case derivatives, chat, thumb
        case derivativeError = "derivative_error"
        case previewOnly = "preview_only"
    }
}

/// A photo as attached to one report.
public struct ReportPhoto: Sendable, Hashable, Codable {
    public var reportID: Int64
    public var photo: Photo
    public var addedAt: Date
    public var addedBy: String

    public init(reportID: Int64, photo: Photo, addedAt: Date, addedBy: String) {
        self.reportID = reportID
        self.photo = photo
        self.addedAt = addedAt
        self.addedBy = addedBy
    }

    enum CodingKeys: String, CodingKey {
        case reportID = "report_id"
        case photo
        case addedAt = "added_at"
        case addedBy = "added_by"
    }
}

/// The answer to a photo upload.
public struct PhotoReceipt: Sendable, Hashable, Codable {
    /// False when this report already had this photo (the same bytes): nothing new was stored.
    public var created: Bool
    public var reportID: Int64
    public var incidentNumber: String
    public var photo: Photo
    /// What the photo's EXIF filled in on the report (position, time, a new incident), as written in the
    /// timeline; nil when the report lacked nothing the photo carries.
    public var filled: String?

    public init(created: Bool, reportID: Int64, incidentNumber: String, photo: Photo, filled: String? = nil) {
        self.created = created
        self.reportID = reportID
        self.incidentNumber = incidentNumber
        self.photo = photo
        self.filled = filled
    }

    enum CodingKeys: String, CodingKey {
        case created
        case reportID = "report_id"
        case incidentNumber = "incident_number"
        case photo, filled
    }
}

/// A report with the photos attached to it: the answer to `GET /v1/reports/{id}`, the report's own
/// fields with a `photos` array beside them.
public struct ReportDetail: Sendable, Hashable, Codable {
    public var report: Report
    public var photos: [Photo]

    public init(report: Report, photos: [Photo]) {
        self.report = report
        self.photos = photos
    }

    enum CodingKeys: String, CodingKey {
        case photos
    }

    public init(from decoder: any Decoder) throws {
        report = try Report(from: decoder)
        photos = try decoder.container(keyedBy: CodingKeys.self).decode([Photo].self, forKey: .photos)
    }

    public func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(photos, forKey: .photos)
    }
}

/// What a device says about the original when it sends a preview ahead of it: enough for the server to check
/// that the preview can be a chat copy of that photo, and to hold the original's place until it comes.
public struct PreviewClaim: Sendable, Hashable, Codable {
    /// The original's SHA-256, under which the photo is known.
    public var sha256: String
    public var bytes: Int64
    /// The original's pixel size as stored (before orientation) and its EXIF orientation.
    public var width: Int
    public var height: Int
    public var orientation: Int

    public init(sha256: String, bytes: Int64, width: Int, height: Int, orientation: Int) {
        self.sha256 = sha256
        self.bytes = bytes
        self.width = width
        self.height = height
        self.orientation = orientation
    }
}
