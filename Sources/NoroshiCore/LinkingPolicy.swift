import Foundation

/// How far and how long a new report may be from an open incident of its kind and still join it.
///
/// Defaults follow DESIGN.md: fire 1 km / 12 h, landslide 2 km / 72 h, avian influenza 3 km / 28 days
/// (the movement-restriction radius around an infected farm), flood 5 km / 72 h, other 1 km / 24 h.
public struct LinkingPolicy: Sendable, Hashable {
    /// The radius and time window for one kind.
    public struct Rule: Sendable, Hashable {
        public var radiusMetres: Double
        public var window: TimeInterval

        public init(radiusMetres: Double, window: TimeInterval) {
            self.radiusMetres = radiusMetres
            self.window = window
        }
    }

    public var rules: [IncidentKind: Rule]

    public init(rules: [IncidentKind: Rule] = LinkingPolicy.defaultRules) {
        self.rules = LinkingPolicy.defaultRules.merging(rules) { _, configured in configured }
    }

    public static let defaultRules: [IncidentKind: Rule] = [
        .fire: Rule(radiusMetres: 1_000, window: 12 * 3600),
        .landslide: Rule(radiusMetres: 2_000, window: 72 * 3600),
        .avianInfluenza: Rule(radiusMetres: 3_000, window: 28 * 24 * 3600),
        .flood: Rule(radiusMetres: 5_000, window: 72 * 3600),
        .other: Rule(radiusMetres: 1_000, window: 24 * 3600),
    ]

    /// The rule for a kind.
    public func rule(for kind: IncidentKind) -> Rule {
        rules[kind] ?? Self.defaultRules[kind] ?? Rule(radiusMetres: 1_000, window: 24 * 3600)
    }

    /// The largest radius of any kind, which bounds the candidate search.
    public var maximumRadiusMetres: Double { rules.values.map(\.radiusMetres).max() ?? 0 }

    /// Chooses the incident a located report joins, or decides it opens a new one.
    ///
    /// A candidate qualifies when it is open, not merged away, of the same kind and exercise flag,
    /// has a centre within the kind's radius, and its last activity lies within the kind's window
    /// of the report's observed time. The nearest qualifying candidate wins; ties go to the most
    /// recently active, then the lowest id, so the result never depends on the candidates' order.
    public func decide(
        kind: IncidentKind,
        position: GeoPoint?,
        observedAt: Date,
        exercise: Bool,
        candidates: [LinkCandidate]
    ) -> LinkDecision {
        guard let position else { return .openNew }
        let rule = rule(for: kind)
        var best: (candidate: LinkCandidate, distance: Double)?
        for candidate in candidates {
            guard candidate.kind == kind, candidate.exercise == exercise, candidate.status.isOpen,
                !candidate.isMerged, let centre = candidate.centre,
                abs(observedAt.timeIntervalSince(candidate.lastActivityAt)) <= rule.window
            else { continue }
            let distance = position.distance(to: centre)
            guard distance <= rule.radiusMetres else { continue }
            if let current = best {
                let closer = distance < current.distance
                let tie = distance == current.distance
                let newer = candidate.lastActivityAt > current.candidate.lastActivityAt
                let sameTime = candidate.lastActivityAt == current.candidate.lastActivityAt
                guard closer || (tie && (newer || (sameTime && candidate.id < current.candidate.id))) else {
                    continue
                }
            }
            best = (candidate, distance)
        }
        guard let best else { return .openNew }
        return .join(incidentID: best.candidate.id, distanceMetres: best.distance)
    }
}

/// What the linker knows about an incident when it decides where a report goes.
public struct LinkCandidate: Sendable, Hashable {
    public var id: Int64
    public var kind: IncidentKind
    public var status: IncidentStatus
    public var exercise: Bool
    public var isMerged: Bool
    public var centre: GeoPoint?
    public var lastActivityAt: Date

    public init(
        id: Int64,
        kind: IncidentKind,
        status: IncidentStatus,
        exercise: Bool,
        isMerged: Bool = false,
        centre: GeoPoint?,
        lastActivityAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.exercise = exercise
        self.isMerged = isMerged
        self.centre = centre
        self.lastActivityAt = lastActivityAt
    }
}

/// Where the linker sends a report.
public enum LinkDecision: Sendable, Hashable {
    /// Join this incident, whose centre lies this far away.
    case join(incidentID: Int64, distanceMetres: Double)
    /// Open a new incident.
    case openNew
}
