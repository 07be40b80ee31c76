import Foundation
import Hummingbird
import NIOCore
import NoroshiCore
import NoroshiStorage

/// `GET /v1/incidents/{ref}/cap` and `GET /v1/cap.atom`: CAP 1.2 for alerting feeds (role hq).
extension API {
    @Sendable func incidentCAP(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        let snapshot = try await store.capSnapshot(try context.parameters.require("ref"))
        return Self.xml(CAP.document(snapshot, settings: cap), contentType: CAP.contentType)
    }

    /// The open incidents the list's filters choose (real ones unless `exercise=true`), and those closed,
    /// cancelled or merged in the last 24 hours, so that a reader gets their last message.
    @Sendable func capFeed(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        let query = request.uri.queryParameters
        if query.get("state") != nil || query.get("status") != nil {
            throw NoroshiError(
                .invalidInput,
                "The feed holds the open incidents and those closed in the last 24 hours; leave out 'state' and 'status'."
            )
        }
        var filter = try IncidentQuery.filter(from: query)
        if query.get("exercise") == nil { filter.exercise = false }
        let snapshots = try await store.capSnapshots(filter)
        let feed = CAP.feed(
            snapshots, settings: cap, selfURL: "/v1/cap.atom" + (request.uri.query.map { "?" + $0 } ?? ""),
            now: store.clock.now())
        return Self.xml(feed, contentType: "application/atom+xml; charset=utf-8")
    }

    static func xml(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
