/// What a bearer token may do. Roles are ordered: each one includes everything the ones before it may do.
public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
    /// Field crews: create reports.
    case field
    /// Headquarters: read everything and change incidents.
    case hq
    /// Administrators: manage tokens.
    case admin

    private var rank: Int {
        switch self {
        case .field: 0
        case .hq: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// Whether a token with this role may do what `needed` allows.
    public func permits(_ needed: Role) -> Bool { self >= needed }

    /// The wire names, comma separated.
    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
