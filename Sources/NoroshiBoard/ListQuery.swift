import Foundation
import NoroshiCore
import NoroshiPlaces

/// The board list's query parameters: `kind`, `status`, `severity` (minimum), `prefecture` (1–47 or a name:
/// 21, 岐阜県, gifu), `since` (1h, 6h, 24h, all), `q` (words in titles and report texts), `sort` (activity, opened), `page`, and `exercise=1` for the drills
/// tab. Unknown values are refused with a message that names what is allowed.
public struct ListQuery: Sendable, Hashable {
    public enum Since: String, Sendable, CaseIterable {
        case hour = "1h"
        case sixHours = "6h"
        case day = "24h"
        case all

        public var seconds: Double? {
            switch self {
            case .hour: 3600
            case .sixHours: 6 * 3600
            case .day: 86_400
            case .all: nil
            }
        }
    }

    public enum Sort: String, Sendable, CaseIterable {
        case activity, opened
    }

    public var kind: IncidentKind?
    public var status: IncidentStatus?
    public var minSeverity: Int?
    /// 1 (北海道) … 47 (沖縄県).
    public var prefecture: Int?
    public var since: Since = .all
    public var text: String = ""
    public var sort: Sort = .activity
    public var page: Int = 1
    public var exercise = false

    /// Rows per page.
    public static let pageSize = 50

    public init() {}

    /// Parses the parameters (`lang` is the language switch and ignored here).
    public static func parse(_ parameters: [(String, String)]) throws(NoroshiError) -> ListQuery {
        var query = ListQuery()
        for (key, value) in parameters where !value.isEmpty {
            switch key {
            case "kind":
                guard let kind = IncidentKind(rawValue: value) else {
                    throw NoroshiError(
                        .invalidInput, "Unknown kind '\(value.prefix(40))'; use one of \(IncidentKind.allNames).")
                }
                query.kind = kind
            case "status":
                guard let status = IncidentStatus(rawValue: value) else {
                    throw NoroshiError(
                        .invalidInput, "Unknown status '\(value.prefix(40))'; use one of \(IncidentStatus.allNames).")
                }
                query.status = status
            case "severity":
                guard let severity = Int(value), Incident.severities.contains(severity) else {
                    throw NoroshiError(.invalidInput, "Parameter 'severity' must be 1 to 5.")
                }
                query.minSeverity = severity
            case "prefecture", "pref":
                query.prefecture = try Places.shared.prefectureNumber(parsing: value)
            case "since":
                guard let since = Since(rawValue: value) else {
                    throw NoroshiError(.invalidInput, "Parameter 'since' must be 1h, 6h, 24h or all.")
                }
                query.since = since
            case "q": query.text = String(value.prefix(200))
            case "sort":
                guard let sort = Sort(rawValue: value) else {
                    throw NoroshiError(.invalidInput, "Parameter 'sort' must be activity or opened.")
                }
                query.sort = sort
            case "page":
                guard let page = Int(value), (1...100_000).contains(page) else {
                    throw NoroshiError(.invalidInput, "Parameter 'page' must be a page number from 1.")
                }
                query.page = page
            case "exercise": query.exercise = value == "1" || value == "true"
            case "lang": break
            default:
                throw NoroshiError(
                    .invalidInput,
                    "Unknown parameter '\(key.prefix(40))'; the board takes kind, status, severity, prefecture, "
                        + "since, q, sort, page and exercise.")
            }
        }
        return query
    }

    /// The parameters that reproduce this query, with another page.
    func pairs(page: Int? = nil) -> [(String, String)] {
        var pairs: [(String, String)] = []
        if exercise { pairs.append(("exercise", "1")) }
        if let kind { pairs.append(("kind", kind.rawValue)) }
        if let status { pairs.append(("status", status.rawValue)) }
        if let minSeverity { pairs.append(("severity", String(minSeverity))) }
        if let prefecture { pairs.append(("prefecture", String(prefecture))) }
        if since != .all { pairs.append(("since", since.rawValue)) }
        if !text.isEmpty { pairs.append(("q", text)) }
        if sort != .activity { pairs.append(("sort", sort.rawValue)) }
        let page = page ?? self.page
        if page > 1 { pairs.append(("page", String(page))) }
        return pairs
    }
}
