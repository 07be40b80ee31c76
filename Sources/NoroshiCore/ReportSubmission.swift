import Foundation

/// A report as a sender submits it, before it is stored: the body of `POST /v1/reports`.
///
/// Decoding checks only the JSON shape; ``validated(limits:now:)`` checks every value and is what
/// the intake calls, so that bad input is refused before anything is written.
public struct ReportSubmission: Sendable, Hashable, Codable {
    /// The sender's idempotency key: the same key and body always give the same report.
    public var clientKey: String
    public var kind: String
    public var latitude: Double?
    public var longitude: Double?
    /// Horizontal accuracy of the position in metres, when the device knows it.
    public var accuracy: Double?
    public var place: String?
    public var text: String
    public var unit: String?
    public var reporter: String?
    /// When the sender saw what the report describes, RFC 3339; defaults to the time of receipt.
    public var observedAt: String?
    public var casualties: Casualties?
    /// 住家被害, in buildings.
    public var homes: HomeDamage?
    /// An incident number the report should join, overriding automatic linking.
    public var incident: String?
    public var exercise: Bool?
    /// How long the report waited in the sender's queue, in seconds, when it left out `observed_at`: the
    /// server then dates it that long before it arrived (`observed_at_source` `device`), which is right even
    /// when the device's clock is not. Not part of the report's identity: sent again later with a longer
    /// wait, it is the same report.
    public var queuedSeconds: Double?

    public init(
        clientKey: String,
        kind: String,
        latitude: Double? = nil,
        longitude: Double? = nil,
        accuracy: Double? = nil,
        place: String? = nil,
        text: String,
        unit: String? = nil,
        reporter: String? = nil,
        observedAt: String? = nil,
        casualties: Casualties? = nil,
        homes: HomeDamage? = nil,
        incident: String? = nil,
        exercise: Bool? = nil,
        queuedSeconds: Double? = nil
    ) {
        self.clientKey = clientKey
        self.kind = kind
        self.latitude = latitude
        self.longitude = longitude
        self.accuracy = accuracy
        self.place = place
        self.text = text
        self.unit = unit
        self.reporter = reporter
        self.observedAt = observedAt
        self.casualties = casualties
        self.homes = homes
        self.incident = incident
        self.exercise = exercise
        self.queuedSeconds = queuedSeconds
    }

    enum CodingKeys: String, CodingKey {
        case clientKey = "client_key"
        case kind, latitude, longitude, accuracy, place, text, unit, reporter
        case observedAt = "observed_at"
        case casualties, homes, incident, exercise
        case queuedSeconds = "queued_seconds"
    }

    /// Checks every value and returns the report ready for the intake, or a clear error naming the field.
    public func validated(limits: ReportLimits, now: Date) throws(NoroshiError) -> ValidReport {
        for (field, value) in [("text", text), ("place", place), ("unit", unit), ("reporter", reporter)] {
            if let value { try TextRules.check(value, field: field) }
        }
        let key = clientKey.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw NoroshiError(.invalidInput, "Field 'client_key' must not be empty.") }
        guard key.count <= 200, key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw NoroshiError(
                .invalidInput,
                "Field 'client_key' must be at most 200 printable ASCII characters, e.g. a UUID."
            )
        }
        guard let kind = IncidentKind(rawValue: kind) else {
            throw NoroshiError(.invalidInput, "Unknown kind '\(kind.prefix(40))'; use one of \(IncidentKind.allNames).")
        }
        var position: GeoPoint?
        switch (latitude, longitude) {
        case (let lat?, let lon?): position = try GeoPoint(latitude: lat, longitude: lon)
        case (nil, nil): position = nil
        default: throw NoroshiError(.invalidInput, "Give both 'latitude' and 'longitude', or neither.")
        }
        if let accuracy, !(accuracy.isFinite && accuracy >= 0 && accuracy <= 100_000) {
            throw NoroshiError(.invalidInput, "Field 'accuracy' must be a distance in metres between 0 and 100000.")
        }
        let place = try Self.optionalText(place, field: "place", limit: limits.maxFieldLength)
        guard position != nil || place != nil else {
            throw NoroshiError(.invalidInput, "A report needs a position ('latitude' and 'longitude') or a 'place'.")
        }
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw NoroshiError(.invalidInput, "Field 'text' must not be empty.") }
        guard text.count <= limits.maxTextLength else {
            throw NoroshiError(
                .invalidInput,
                "Field 'text' is \(text.count) characters long; the limit is \(limits.maxTextLength)."
            )
        }
        var observed = now
        var source = Report.Source.receipt
        if observedAt == nil, let queuedSeconds {
            guard queuedSeconds.isFinite, queuedSeconds >= 0, queuedSeconds <= Self.maxQueuedSeconds else {
                throw NoroshiError(
                    .invalidInput,
                    "Field 'queued_seconds' must be the seconds the report waited on the device, 0 to 2592000 "
                        + "(30 days).")
            }
            observed = now.addingTimeInterval(-queuedSeconds)
            source = .device
        }
        if let observedAt {
            guard let parsed = RFC3339.date(from: observedAt) else {
                throw NoroshiError(
                    .invalidInput,
                    "Field 'observed_at' is not an RFC 3339 time such as 2026-11-21T09:30:00+09:00."
                )
            }
            guard parsed.timeIntervalSince(now) <= limits.maxFutureSkew else {
                throw NoroshiError(
                    .invalidInput,
                    "Field 'observed_at' is \(Int(parsed.timeIntervalSince(now) / 60)) minutes in the future; "
                        + "check the device clock."
                )
            }
            guard parsed.timeIntervalSince1970 > 0 else {
                throw NoroshiError(.invalidInput, "Field 'observed_at' is before 1970.")
            }
            observed = parsed
            source = .sender
        }
        var number: IncidentNumber?
        if let incident {
            guard let parsed = IncidentNumber(incident) else {
                throw NoroshiError(
                    .invalidInput,
                    "Field 'incident' is not an incident number such as F-2026-0042."
                )
            }
            number = parsed
        }
        return ValidReport(
            clientKey: key,
            kind: kind,
            position: position,
            accuracy: accuracy,
            place: place,
            text: text,
            unit: try Self.optionalText(unit, field: "unit", limit: limits.maxFieldLength),
            reporter: try Self.optionalText(reporter, field: "reporter", limit: limits.maxFieldLength),
            observedAt: observed,
            observedAtSource: source,
            casualties: try (casualties ?? Casualties()).validated(),
            homes: try (homes ?? HomeDamage()).validated(),
            incident: number,
            exercise: exercise ?? false
        )
    }

    /// The longest wait in a device's queue that dates a report: 30 days.
    public static let maxQueuedSeconds: Double = 30 * 86_400

    private static func optionalText(_ value: String?, field: String, limit: Int) throws(NoroshiError) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        guard value.count <= limit else {
            throw NoroshiError(.invalidInput, "Field '\(field)' is longer than \(limit) characters.")
        }
        return value
    }
}

/// A report whose every value has been checked, ready to be stored and linked.
public struct ValidReport: Sendable, Hashable {
    public var clientKey: String
    public var kind: IncidentKind
    public var position: GeoPoint?
    public var accuracy: Double?
    public var place: String?
    public var text: String
    public var unit: String?
    public var reporter: String?
    public var observedAt: Date
    /// Where `observedAt` came from: the sender, the device's queue (receipt less the wait), or the receipt.
    public var observedAtSource: Report.Source
    public var casualties: Casualties
    public var homes: HomeDamage
    public var incident: IncidentNumber?
    public var exercise: Bool
}

/// Limits on what a report may contain; part of the daemon's configuration.
public struct ReportLimits: Sendable, Hashable {
    /// The longest report text, in characters.
    public var maxTextLength: Int
    /// The longest place, unit or reporter name, in characters.
    public var maxFieldLength: Int
    /// How far in the future an observed time may lie (device clocks drift), in seconds.
    public var maxFutureSkew: TimeInterval

    public init(maxTextLength: Int = 4_000, maxFieldLength: Int = 200, maxFutureSkew: TimeInterval = 600) {
        self.maxTextLength = maxTextLength
        self.maxFieldLength = maxFieldLength
        self.maxFutureSkew = maxFutureSkew
    }
}
