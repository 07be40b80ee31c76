import Foundation
import Hummingbird
import Logging
import NoroshiClient
import NoroshiCore
import NoroshiStorage

/// The chat outbox: what waits, what failed, and re-queueing a dead letter.
extension API {
    /// `GET /v1/outbox?state=pending|failed|delivered|dropped|all&room=NAME&limit=N`; pending by default.
    @Sendable func listOutbox(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        let query = request.uri.queryParameters
        var filter: OutboxFilter
        switch query["state"].map(String.init) ?? "pending" {
        case "pending": filter = .pending
        case "failed", "dead": filter = .failed
        case "delivered": filter = OutboxFilter(states: [.delivered])
        case "dropped": filter = OutboxFilter(states: [.dropped])
        case "all": filter = OutboxFilter()
        case let other:
            throw NoroshiError(
                .invalidInput, "Unknown state '\(other.prefix(40))'; use pending, failed, delivered, dropped or all.")
        }
        filter.room = query["room"].map(String.init)
        if let text = query["limit"] {
            guard let limit = Int(text), (1...10_000).contains(limit) else {
                throw NoroshiError(.invalidInput, "limit must be a whole number from 1 to 10000.")
            }
            filter.limit = limit
        }
        let messages = try await store.outboxMessages(filter)
        let counts = try await store.outboxCounts()
        return try JSONResponse.make(
            OutboxList(
                messages: messages,
                counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })))
    }

    @Sendable func showOutboxMessage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        _ = try await authenticate(request, needs: .hq)
        return try JSONResponse.make(try await store.outboxMessage(id: try outboxID(context)))
    }

    /// Re-queues a dead letter and wakes its room.
    @Sendable func retryOutboxMessage(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .hq)
        return try JSONResponse.make(
            try await requeue(try outboxID(context), by: token.principal, logger: context.logger))
    }

    /// Queues a dead letter again and wakes its room; the board's retry button does the same.
    func requeue(_ id: Int64, by actor: Principal, logger: Logger) async throws(NoroshiError) -> OutboxMessage {
        let message = try await store.retryOutboxMessage(id: id, by: actor)
        chatWakeups.wake(room: message.room)
        logger.notice(
            "Outbox message re-queued",
            metadata: ["outbox.id": "\(message.id)", "room": "\(message.room)", "by": "\(actor)"])
        return message
    }

    /// `POST /v1/outbox/drop` `{"id": 12}` or `{"room": "old-room"}`: drops waiting or dead messages so that they
    /// are never sent (for a room removed from the configuration, say); answers `{"dropped": n}`.
    @Sendable func dropOutboxMessages(_ request: Request, context: NoroshiRequestContext) async throws -> Response {
        let token = try await authenticate(request, needs: .hq)
        let body = try await decode(OutboxDropRequest.self, from: request)
        let dropped = try await store.dropOutboxMessages(id: body.id, room: body.room, by: token.principal)
        context.logger.notice(
            "Outbox messages dropped",
            metadata: [
                "dropped": "\(dropped)", "room": "\(body.room ?? "-")",
                "outbox.id": "\(body.id.map(String.init) ?? "-")",
                "by": "\(token.name)",
            ])
        return try JSONResponse.make(["dropped": dropped])
    }

    func outboxID(_ context: NoroshiRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else {
            throw NoroshiError(.invalidInput, "'\(text.prefix(40))' is not an outbox message id; ids are numbers.")
        }
        return id
    }
}
