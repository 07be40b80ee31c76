import Foundation
import GRDB
import NoroshiCore

/// What the board's incident list shows: open incidents of one tab (real or exercise), filtered and paged.
public struct BoardFilter: Sendable, Hashable {
    /// How the list is ordered.
    public enum Order: String, Sendable, CaseIterable {
        /// Most recently active first (the default).
        case activity
        /// By 覚知, the first report's receipt: newest first.
        case opened
    }

    /// Which incidents by position.
    public enum Location: String, Sendable, CaseIterable {
        case any, located, unlocated
    }

    public var exercise: Bool
    public var kinds: Set<IncidentKind>
    public var statuses: Set<IncidentStatus>
    /// Only incidents assessed at this severity or above.
    public var minSeverity: Int?
    /// Only incidents active at or after this time.
    public var since: Date?
    /// Words that must each appear in the title or in one of the reports' texts (case-insensitive for ASCII).
    public var text: String
    public var location: Location
    /// Only incidents in this prefecture (1 北海道 … 47 沖縄県), by their area.
    public var prefecture: Int?
    /// Only incidents whose centre lies in this box (the map's view).
    public var within: GeoBox?
    /// For a field sign-in: only incidents that a report of this token joined.
    public var reportsOfToken: Int64?
    /// Include closed, cancelled and merged incidents too.
    public var includeClosed: Bool
    public var order: Order
    public var offset: Int
    public var limit: Int

    public init(
        exercise: Bool = false, kinds: Set<IncidentKind> = [], statuses: Set<IncidentStatus> = [],
        minSeverity: Int? = nil, since: Date? = nil, text: String = "", location: Location = .any,
        prefecture: Int? = nil, within: GeoBox? = nil, reportsOfToken: Int64? = nil, includeClosed: Bool = false,
        order: Order = .activity, offset: Int = 0,
        limit: Int = 50
    ) {
        self.exercise = exercise
        self.kinds = kinds
        self.statuses = statuses
        self.minSeverity = minSeverity
        self.since = since
        self.text = text
        self.location = location
        self.prefecture = prefecture
        self.within = within
        self.reportsOfToken = reportsOfToken
        self.includeClosed = includeClosed
        self.order = order
        self.offset = offset
        self.limit = limit
    }
}

/// One line of the board: an incident with its photo count.
public struct BoardRow: Sendable, Hashable {
    public var incident: Incident
    public var photoCount: Int
}

/// One page of the board and the number of incidents that match in all.
public struct BoardListing: Sendable, Hashable {
    public var rows: [BoardRow]
    public var total: Int
}

extension Store {
    /// One page of incidents for the board, with the total that match the filter.
    public func boardIncidents(_ filter: BoardFilter) async throws(NoroshiError) -> BoardListing {
        try await read { db in
            var (clauses, arguments) = try Self.clauses(for: filter, in: db)
            let whereClause = "WHERE " + clauses.joined(separator: " AND ")
            let total =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM incident i \(whereClause)", arguments: arguments) ?? 0
            let order =
                switch filter.order {
                case .activity: "i.last_activity_at DESC, i.id DESC"
                case .opened: "i.opened_at DESC, i.id DESC"
                }
            _ = arguments.append(contentsOf: [max(1, filter.limit), max(0, filter.offset)])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Rows.incidentColumns),
                        (SELECT count(*) FROM report_photo rp JOIN report r ON r.id = rp.report_id
                            WHERE r.incident_id = i.id) AS photos
                    FROM incident i \(whereClause) ORDER BY \(order) LIMIT ? OFFSET ?
                    """, arguments: arguments
            ).map { row in
                BoardRow(incident: try Rows.incident(row), photoCount: row[Rows.incidentColumnCount])
            }
            return BoardListing(rows: rows, total: total)
        }
    }

    /// The SQL conditions of a board filter on `incident i`; the board list, the map and the board's exports.
    static func clauses(for filter: BoardFilter, in db: Database) throws -> ([String], StatementArguments) {
        var clauses = ["i.exercise = ?", "i.merged_into_id IS NULL"]
        var arguments: StatementArguments = [filter.exercise]
        if !filter.includeClosed { clauses.append("i.is_open = 1") }
        Rows.whereIn("i.status", filter.statuses, clauses: &clauses, arguments: &arguments)
        Rows.whereIn("i.kind", filter.kinds, clauses: &clauses, arguments: &arguments)
        if let minimum = filter.minSeverity {
            clauses.append("i.severity >= ?")
            _ = arguments.append(contentsOf: [minimum])
        }
        if let since = filter.since {
            clauses.append("i.last_activity_at >= ?")
            _ = arguments.append(contentsOf: [since.millisecondsSince1970])
        }
        switch filter.location {
        case .any: break
        case .located: clauses.append("i.center_lat IS NOT NULL")
        case .unlocated: clauses.append("i.center_lat IS NULL")
        }
        if let prefecture = filter.prefecture {
            Rows.inPrefecture(prefecture, clauses: &clauses, arguments: &arguments)
        }
        if let box = filter.within {
            clauses.append("i.center_lat BETWEEN ? AND ? AND i.center_lon BETWEEN ? AND ?")
            _ = arguments.append(contentsOf: [box.minLatitude, box.maxLatitude, box.minLongitude, box.maxLongitude])
        }
        if let token = filter.reportsOfToken {
            clauses.append("i.id IN (SELECT incident_id FROM report WHERE token_id = ?)")
            _ = arguments.append(contentsOf: [token])
        }
        if let matching = try Self.incidentsMatching(filter.text, in: db) {
            // The text's matches once, as a list of ids both queries below read.
            clauses.append("i.id IN (SELECT value FROM json_each(?))")
            _ = arguments.append(contentsOf: ["[" + matching.map(String.init).joined(separator: ",") + "]"])
        }
        return (clauses, arguments)
    }

    /// Up to `limit` incidents the board filter shows with an id above `id`, in id order (the board's exports).
    public func exportIncidents(_ filter: BoardFilter, after id: Int64, limit: Int) async throws(NoroshiError)
        -> ExportPage<Incident>
    {
        try await read { db in
            let (clauses, arguments) = try Self.clauses(for: filter, in: db)
            return try Self.exportIncidentPage(db, clauses: clauses, arguments: arguments, after: id, limit: limit)
        }
    }

    /// Up to `limit` reports of the incidents the board filter shows, with an id above `id`, in id order.
    public func exportReports(_ filter: BoardFilter, after id: Int64, limit: Int) async throws(NoroshiError)
        -> ExportPage<Report>
    {
        try await read { db in
            let (clauses, arguments) = try Self.clauses(for: filter, in: db)
            let (rows, next) = try Self.exportReportRows(
                db, clauses: clauses, arguments: arguments, after: id, limit: limit)
            return ExportPage(rows: try rows.map(Rows.report), next: next)
        }
    }

    /// Whether a report sent with this token joined the incident (a field sign-in may see it then).
    public func incident(_ reference: String, hasReportOfToken tokenID: Int64) async throws(NoroshiError) -> Bool {
        try await read { db in
            let incident = try Rows.resolveIncident(db, reference: reference)
            return try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM report WHERE incident_id = ? AND token_id = ?)",
                arguments: [incident.id, tokenID]) ?? false
        }
    }

    /// Whether a photo belongs to a report of an incident that a report of this token joined.
    public func photo(_ sha256: String, isVisibleToToken tokenID: Int64) async throws(NoroshiError) -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM report_photo rp JOIN report r ON r.id = rp.report_id
                        WHERE rp.sha256 = ? AND r.incident_id IN (SELECT incident_id FROM report WHERE token_id = ?))
                    """, arguments: [sha256, tokenID]) ?? false
        }
    }

    /// The incidents whose title or one of whose reports' texts holds each word (up to 8); nil without words.
    ///
    /// One sequential pass over the reports' texts per word: on 1,000,000 reports a word nothing holds cost
    /// 2.6 s when it was an EXISTS per incident, run again for the count, the page and the unlocated section.
    static func incidentsMatching(_ text: String, in db: Database) throws -> Set<Int64>? {
        var result: Set<Int64>?
        for word in text.split(whereSeparator: \.isWhitespace).prefix(8) {
            let pattern = "%" + likeEscaped(String(word)) + "%"
            let ids = try Int64.fetchSet(
                db,
                sql: """
                    SELECT id FROM incident WHERE title LIKE ? ESCAPE '\\'
                    UNION SELECT incident_id FROM report WHERE text LIKE ? ESCAPE '\\'
                    """, arguments: [pattern, pattern])
            result = result.map { $0.intersection(ids) } ?? ids
            if result?.isEmpty == true { break }
        }
        return result
    }

    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
