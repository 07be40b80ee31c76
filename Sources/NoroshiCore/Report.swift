import Foundation

/// A stored report from the field, as the API returns it.
public struct Report: Sendable, Hashable, Codable, Identifiable {
    /// How the report came to belong to its incident.
    public enum LinkMode: String, Sendable, Codable, Hashable {
        /// The linker chose the incident (or opened a new one).
        case automatic
        /// The sender named the incident number.
        case explicit
        /// HQ linked or unlinked it by hand; the linker never moves it again.
        case manual
    }

    /// Where a report's position or observed time came from.
    public enum Source: String, Sendable, Codable, Hashable {
        /// The sender gave it.
        case sender
        /// The sender left the time out; it is the time the server received the report.
        case receipt
        /// The sender left it out; it was read from the EXIF of a photo attached to the report.
        case photo
        /// The sender left the time out but said how long the report waited in its queue: the time of receipt
        /// less that wait, the moment it was written, whatever the device's clock said.
        case device
    }

    public var id: Int64
    public var clientKey: String
    public var kind: IncidentKind
    public var latitude: Double?
    public var longitude: Double?
    public var accuracy: Double?
    public var place: String?
    public var text: String
    public var unit: String?
    public var reporter: String?
    public var casualties: Casualties
    public var exercise: Bool
    public var observedAt: Date
    public var receivedAt: Date
    public var incidentID: Int64
    public var incidentNumber: String
    public var linkMode: LinkMode
    /// The name of the token that submitted the report.
    public var submittedBy: String
    /// Where the position came from; nil while the report has none.
    public var positionSource: Source?
    /// Where the observed time came from.
    public var observedAtSource: Source
    /// The 都道府県 and 市区町村 its position lies in, found at intake; nil when unlocated, at sea or abroad.
    public var area: Area? = nil
    /// 住家被害 as this report counted it; unknown counts are nil.
    public var homes = HomeDamage()

    public init(
        id: Int64,
        clientKey: String,
        kind: IncidentKind,
        latitude: Double?,
        longitude: Double?,
        accuracy: Double?,
        place: String?,
        text: String,
        unit: String?,
        reporter: String?,
        casualties: Casualties,
        exercise: Bool,
        observedAt: Date,
        receivedAt: Date,
        incidentID: Int64,
        incidentNumber: String,
        linkMode: LinkMode,
        submittedBy: String,
        positionSource: Source? = nil,
        observedAtSource: Source = .sender
    ) {
        self.id = id
        self.clientKey = clientKey
        self.kind = kind
        self.latitude = latitude
        self.longitude = longitude
        self.accuracy = accuracy
        self.place = place
        self.text = text
        self.unit = unit
        self.reporter = reporter
        self.casualties = casualties
        self.exercise = exercise
        self.observedAt = observedAt
        self.receivedAt = receivedAt
        self.incidentID = incidentID
        self.incidentNumber = incidentNumber
        self.linkMode = linkMode
        self.submittedBy = submittedBy
        self.positionSource = positionSource ?? (latitude == nil ? nil : .sender)
        self.observedAtSource = observedAtSource
    }

    /// The report's position, when it has one.
    public var position: GeoPoint? {
        guard let latitude, let longitude else { return nil }
        return try? GeoPoint(latitude: latitude, longitude: longitude)
    }

    enum CodingKeys: String, CodingKey {
        case id
        case clientKey = "client_key"
        case kind, latitude, longitude, accuracy, place, text, unit, reporter, casualties, homes, exercise
        case observedAt = "observed_at"
        case receivedAt = "received_at"
        case incidentID = "incident_id"
        case incidentNumber = "incident_number"
        case linkMode = "link_mode"
        case submittedBy = "submitted_by"
        case positionSource = "position_source"
        case observedAtSource = "observed_at_source"
        case area
    }
}
