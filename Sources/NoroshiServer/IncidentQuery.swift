import Foundation
import Hummingbird
import NoroshiCore
import NoroshiPlaces
import NoroshiStorage

/// Turns the query string of `GET /v1/incidents` into an ``IncidentFilter``, refusing unknown values.
enum IncidentQuery {
    static let parameters: Set<String> = [
        "status", "kind", "state", "exercise", "near", "radius_km", "prefecture", "since", "limit",
    ]

    /// The filter of a query; `also` names parameters the route takes besides the list's (an export's `lang`).
    static func filter(from query: Parameters, also: Set<String> = []) throws(NoroshiError) -> IncidentFilter {
        var filter = IncidentFilter()
        let allowed = parameters.union(also)
        for (key, _) in query where !allowed.contains(String(key)) {
            throw NoroshiError(
                .invalidInput,
                "Unknown query parameter '\(key.prefix(40))'; use \(allowed.sorted().joined(separator: ", ")).")
        }
        if let value = query.get("state") {
            guard let state = IncidentFilter.State(rawValue: value) else {
                throw NoroshiError(.invalidInput, "Parameter 'state' must be open, closed or all.")
            }
            filter.state = state
        }
        if let value = query.get("status") {
            for name in value.split(separator: ",") {
                guard let status = IncidentStatus(rawValue: String(name)) else {
                    throw NoroshiError(
                        .invalidInput, "Unknown status '\(name.prefix(40))'; use one of \(IncidentStatus.allNames).")
                }
                filter.statuses.insert(status)
            }
            // Asking for a status implies looking beyond open incidents unless 'state' says otherwise.
            if query.get("state") == nil { filter.state = .all }
        }
        if let value = query.get("kind") {
            for name in value.split(separator: ",") {
                guard let kind = IncidentKind(rawValue: String(name)) else {
                    throw NoroshiError(
                        .invalidInput, "Unknown kind '\(name.prefix(40))'; use one of \(IncidentKind.allNames).")
                }
                filter.kinds.insert(kind)
            }
        }
        if let value = query.get("exercise") {
            guard let flag = Bool(value) else {
                throw NoroshiError(.invalidInput, "Parameter 'exercise' must be true or false.")
            }
            filter.exercise = flag
        }
        if let value = query.get("near") {
            filter.near = try GeoPoint(parsing: value)
        }
        if let value = query.get("radius_km") {
            guard let km = Double(value), km > 0, km <= 1000 else {
                throw NoroshiError(
                    .invalidInput, "Parameter 'radius_km' must be a number of kilometres from 0 to 1000.")
            }
            guard filter.near != nil else {
                throw NoroshiError(.invalidInput, "Parameter 'radius_km' needs 'near=latitude,longitude'.")
            }
            filter.radiusMetres = km * 1000
        }
        if let value = query.get("prefecture") {
            filter.prefecture = try Places.shared.prefectureNumber(parsing: value)
        }
        if let value = query.get("since") {
            guard let date = RFC3339.date(from: value) else {
                throw NoroshiError(
                    .invalidInput, "Parameter 'since' must be an RFC 3339 time such as 2026-11-21T09:00:00+09:00.")
            }
            filter.since = date
        }
        if let value = query.get("limit") {
            guard let limit = Int(value), (1...5000).contains(limit) else {
                throw NoroshiError(.invalidInput, "Parameter 'limit' must be a whole number from 1 to 5000.")
            }
            filter.limit = limit
        }
        return filter
    }
}
