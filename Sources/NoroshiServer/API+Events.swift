import Foundation
import HTTPTypes
import Hummingbird
import NoroshiCore
import NoroshiStorage

/// `GET /v1/events`: Server-Sent Events for the board and other HQ clients.
extension API {
    /// The cookie that carries a board session.
    static let sessionCookie = "noroshi_session"

    /// Streams events as `id`, `event` (incident.opened, incident.changed, report.joined, photo.ready,
    /// message.dead) and `data` (JSON). `Last-Event-ID` (or `?last_event_id=`) resumes after that event; without
    /// it the stream starts with the next change. A comment line every 15 s keeps proxies from closing it.
    @Sendable func streamEvents(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticateBearerOrSession(request, needs: .hq)
        guard let events else { throw NoroshiError(.unavailable, "The event stream is not running.") }
        let resume =
            request.headers[HTTPField.Name("Last-Event-ID")!]
            ?? request.uri.queryParameters["last_event_id"]
            .map(String.init)
        var start = events.head
        if let resume {
            guard let id = Int64(resume.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw NoroshiError(.invalidInput, "Last-Event-ID must be the id of an event this stream sent.")
            }
            start = id
        }
        let initial = start
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: ResponseBody { [metrics] writer in
                metrics.streamOpened()
                defer { metrics.streamClosed() }
                var last = initial
                // The retry hint makes a cut stream come back within two seconds.
                try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
                while !events.isClosed {
                    let batch = try await events.events(after: last)
                    if !batch.isEmpty {
                        try await writer.write(ByteBuffer(string: batch.map(\.frame).joined()))
                        last = batch.last!.id
                        continue
                    }
                    switch await events.wait(after: last, timeout: .seconds(15)) {
                    case .events: continue
                    case .timeout: try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    case .shutdown: break
                    }
                }
                try await writer.finish(nil)
            })
    }

    /// The token behind a bearer header or, for browsers (EventSource cannot send headers), a board session.
    func authenticateBearerOrSession(_ request: Request, needs role: Role) async throws(NoroshiError) -> TokenInfo {
        if request.headers[.authorization] == nil, let cookie = request.cookies[Self.sessionCookie]?.value {
            guard let session = try await store.session(secret: cookie, idleLimit: sessionIdleLimit) else {
                throw NoroshiError(.unauthorized, "The board session has ended; sign in again.")
            }
            return try Self.check(session.token, needs: role)
        }
        return try await authenticate(request, needs: role)
    }
}
