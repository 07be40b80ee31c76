import Foundation
import GRDB
import NoroshiCore
import NoroshiPlaces

extension Places {
    /// Migration v8: gives every located report its area, every incident the area of its first located
    /// report with one, and marks the titles Noroshi made (before v8, "Fire near 36.1461, 137.2522",
    /// "Fire at 本町", "Fire, location unknown") as defaults, written again from the place.
    static func backfill(_ db: Database) throws {
        let reports = try Row.fetchCursor(
            db, sql: "SELECT id, latitude, longitude FROM report WHERE latitude IS NOT NULL")
        let update = try db.makeStatement(sql: "UPDATE report SET area_code = ? WHERE id = ?")
        while let row = try reports.next() {
            guard let point = try? GeoPoint(latitude: row[1], longitude: row[2]),
                let area = shared.area(at: point)
            else { continue }
            try update.execute(arguments: [area.code, row[0] as Int64])
        }
        try db.execute(
            sql: """
                UPDATE incident SET area_code = (SELECT area_code FROM report WHERE incident_id = incident.id
                    AND area_code IS NOT NULL ORDER BY received_at, id LIMIT 1)
                """)
        let incidents = try Row.fetchAll(db, sql: "SELECT id, kind, title, place FROM incident")
        for row in incidents {
            guard let kind = IncidentKind(rawValue: row[1]) else { continue }
            let title: String = row[2]
            let place: String? = row[3]
            let name = kind.englishName.prefix(1).uppercased() + kind.englishName.dropFirst()
            let madeByNoroshi =
                title == "\(name), location unknown" || place.map { title == "\(name) at \($0)" } == true
                || (title.hasPrefix("\(name) near ")
                    && title.dropFirst(name.count + 6).allSatisfy { "0123456789.,- ".contains($0) })
            guard madeByNoroshi else { continue }
            try db.execute(sql: "UPDATE incident SET title_is_default = 1 WHERE id = ?", arguments: [row[0] as Int64])
            try IncidentWriter.refreshDefaultTitle(incidentID: row[0], in: db)
        }
    }
}
