import Foundation

/// What kind of emergency an incident is; each kind has its own linking radius and time window.
public enum IncidentKind: String, CaseIterable, Codable, Sendable, Hashable {
    case fire
    case landslide
    case avianInfluenza = "avian_influenza"
    case flood
    case other

    /// The letter that starts an incident number of this kind, as in `F-2026-0042`.
    public var numberPrefix: String {
        switch self {
        case .fire: "F"
        case .landslide: "L"
        case .avianInfluenza: "A"
        case .flood: "W"
        case .other: "O"
        }
    }

    /// The name a responder reads, in English.
    public var englishName: String {
        switch self {
        case .fire: "fire"
        case .landslide: "landslide"
        case .avianInfluenza: "avian influenza"
        case .flood: "flood"
        case .other: "other"
        }
    }

    /// The name a responder reads, in Japanese.
    public var japaneseName: String {
        switch self {
        case .fire: "火災"
        case .landslide: "土砂災害"
        case .avianInfluenza: "鳥インフルエンザ"
        case .flood: "水害"
        case .other: "その他"
        }
    }

    /// The word a default title ends in: 「高山市の火災」, 「旭市の事案」.
    public var titleNoun: String { self == .other ? "事案" : japaneseName }

    /// The word a default English title starts with: "Fire in Takayama City", "Incident in Asahi City".
    public var englishTitleNoun: String {
        self == .other ? "Incident" : englishName.prefix(1).uppercased() + englishName.dropFirst()
    }

    /// Parses the wire name (`avian_influenza`), also accepting `avian-influenza`, for CLI users.
    public init?(name: String) {
        let normalized = name.lowercased().replacingOccurrences(of: "-", with: "_")
        self.init(rawValue: normalized)
    }

    /// The wire names, comma separated, for error messages and help texts.
    public static var allNames: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}
