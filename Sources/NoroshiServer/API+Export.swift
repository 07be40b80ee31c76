import Foundation
import Hummingbird
import NIOCore
import NoroshiCore
import NoroshiStorage

/// `GET /v1/incidents.csv`, `/v1/incidents.geojson`, `/v1/reports.csv`, `/v1/reports.geojson`: the list's
/// filters and role (hq), drills only when asked (`exercise=true`), every match unless `limit` says otherwise,
/// streamed a page of rows at a time (never the whole export in memory).
extension API {
    /// Rows read from the store per page of an export.
    static let exportPage = 2_000

    @Sendable func exportIncidentsCSV(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await export(request, format: .csv, what: "incidents")
    }

    @Sendable func exportIncidentsGeoJSON(_ request: Request, context: NoroshiRequestContext) async throws
        -> Response
    {
        try await export(request, format: .geojson, what: "incidents")
    }

    @Sendable func exportReportsCSV(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await export(request, format: .csv, what: "reports")
    }

    @Sendable func exportReportsGeoJSON(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        try await export(request, format: .geojson, what: "reports")
    }

    func export(_ request: Request, format: Export.Format, what: String) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        let query = request.uri.queryParameters
        var parsed = try IncidentQuery.filter(from: query, also: ["lang"])
        if query.get("exercise") == nil { parsed.exercise = false }
        let filter = parsed
        let limit = query.get("limit") == nil ? Int.max : parsed.limit
        let language = query.get("lang") ?? "ja"
        guard language == "ja" || language == "en" else {
            throw NoroshiError(.invalidInput, "Parameter 'lang' must be ja or en.")
        }
        let store = self.store
        return Self.exportResponse(
            format: format, reports: what == "reports", ja: language == "ja", limit: limit,
            incidents: { try await store.exportIncidents(filter, after: $0, limit: $1) },
            reports: { try await store.exportReports(filter, after: $0, limit: $1) })
    }

    /// The streamed answer of an export, from pages that `incidents` or `reports` read; the board's export
    /// buttons answer with it too.
    static func exportResponse(
        format: Export.Format, reports: Bool, ja: Bool, limit: Int,
        incidents: @escaping @Sendable (Int64, Int) async throws -> ExportPage<Incident>,
        reports reportPages: @escaping @Sendable (Int64, Int) async throws -> ExportPage<Report>
    ) -> Response {
        let what = reports ? "reports" : "incidents"
        let stamp = (Export.jst(Date()) ?? "").replacingOccurrences(of: "-", with: "").replacingOccurrences(
            of: ":", with: ""
        )
        .replacingOccurrences(of: " ", with: "-")
        var headers = HTTPFields()
        headers[.contentType] = format.contentType
        headers[.contentDisposition] = "attachment; filename=\"noroshi-\(what)-\(stamp).\(format.rawValue)\""
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let header = reports ? Export.reportHeader(ja: ja) : Export.incidentHeader(ja: ja)
                try await writer.write(ByteBuffer(string: Export.start(format, header: header)))
                if reports {
                    try await Self.stream(into: &writer, format: format, limit: limit, fetch: reportPages) {
                        format == .csv ? Export.csvRow($0, ja: ja) : Export.feature($0)
                    }
                } else {
                    try await Self.stream(into: &writer, format: format, limit: limit, fetch: incidents) {
                        format == .csv ? Export.csvRow($0, ja: ja) : Export.feature($0)
                    }
                }
                try await writer.write(ByteBuffer(string: Export.end(format)))
                try await writer.finish(nil)
            })
    }

    /// Writes rows page by page until the store has no more or `limit` are out; GeoJSON features get commas.
    static func stream<Row: Sendable>(
        into writer: inout any ResponseBodyWriter, format: Export.Format, limit: Int,
        fetch: (Int64, Int) async throws -> ExportPage<Row>, row: (Row) -> [UInt8]
    ) async throws {
        var after: Int64? = 0
        var written = 0
        while let from = after, written < limit {
            let page = try await fetch(from, min(exportPage, limit - written))
            var buffer = ByteBuffer()
            for item in page.rows {
                if format == .geojson && written > 0 { buffer.writeStaticString(",\n") }
                buffer.writeBytes(row(item))
                written += 1
            }
            after = page.next
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }
}
