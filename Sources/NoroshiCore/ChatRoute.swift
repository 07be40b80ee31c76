import Foundation

/// A rule that sends incidents to chat rooms: which kinds, how severe, real or exercise, and where.
///
/// Every condition left out matches everything, so a route with only `rooms` takes every incident.
/// An incident goes to the rooms of every route it matches, each room once.
public struct ChatRoute: Sendable, Hashable {
    /// The area an incident's centre must lie in.
    public enum Area: Sendable, Hashable {
        /// Within `metres` of a point.
        case circle(centre: GeoPoint, metres: Double)
        /// Inside a latitude/longitude box (edges included).
        case box(GeoBox)

        /// Whether `point` lies in the area.
        public func contains(_ point: GeoPoint) -> Bool {
            switch self {
            case .circle(let centre, let metres):
                return centre.distance(to: point) <= metres
            case .box(let box):
                return (box.minLatitude...box.maxLatitude).contains(point.latitude)
                    && (box.minLongitude...box.maxLongitude).contains(point.longitude)
            }
        }
    }

    public var rooms: [String]
    /// Kinds taken; empty takes every kind.
    public var kinds: Set<IncidentKind>
    /// The lowest severity taken; an incident HQ has not assessed yet does not match a route that sets one.
    public var minSeverity: Int?
    /// true: exercise incidents only; false: real ones only; nil: both.
    public var exercise: Bool?
    /// Where the incident's centre must lie; an incident without a position does not match a route that sets one.
    public var area: Area?

    public init(
        rooms: [String],
        kinds: Set<IncidentKind> = [],
        minSeverity: Int? = nil,
        exercise: Bool? = nil,
        area: Area? = nil
    ) {
        self.rooms = rooms
        self.kinds = kinds
        self.minSeverity = minSeverity
        self.exercise = exercise
        self.area = area
    }

    /// Whether the incident, as it stands, goes to this route's rooms.
    public func matches(_ incident: Incident) -> Bool {
        if !kinds.isEmpty, !kinds.contains(incident.kind) { return false }
        if let minSeverity {
            guard let severity = incident.severity, severity >= minSeverity else { return false }
        }
        if let exercise, exercise != incident.exercise { return false }
        if let area {
            guard let centre = incident.centre, area.contains(centre) else { return false }
        }
        return true
    }
}

extension Array where Element == ChatRoute {
    /// The rooms an incident goes to, in the order the routes name them, each once.
    public func rooms(for incident: Incident) -> [String] {
        var seen = Set<String>()
        var rooms: [String] = []
        for route in self where route.matches(incident) {
            for room in route.rooms where seen.insert(room).inserted {
                rooms.append(room)
            }
        }
        return rooms
    }
}
