import Foundation

/// One message in the chat outbox: for one room, about one incident, with where its delivery stands.
public struct OutboxMessage: Sendable, Hashable, Codable, Identifiable {
    /// Where a message stands.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// Waiting; later changes of the same incident for the same room join it.
        case queued
        /// Prepared (its summary frozen) and being sent or retried; a retry sends exactly this message again.
        case sending
        case delivered
        /// Given up: a permanent failure, or too many attempts. `noroshi outbox retry` queues it again.
        case dead
        /// Not sent because its incident was merged into another before it went out; the merge has its own message.
        case dropped
    }

    /// Its id; also the Matrix transaction id and the webhook delivery id, so a retry is recognisable.
    public var id: Int64
    public var room: String
    /// The incident's number, nil for a connection test.
    public var incidentNumber: String?
    public var reasons: [Summary.Reason]
    /// How many changes this message covers (more than one when pending updates were coalesced).
    public var updates: Int
    public var state: State
    /// When the first change it covers was committed.
    public var createdAt: Date
    /// Not sent before this time (a gathering window or a backoff).
    public var readyAt: Date
    public var attempts: Int
    public var lastError: String?
    public var deliveredAt: Date?
    /// The chat server's id for the message, when it gives one (a Matrix event id).
    public var remoteID: String?
    /// The summary as frozen before the first attempt; nil while queued.
    public var summary: Summary?

    public init(
        id: Int64, room: String, incidentNumber: String?, reasons: [Summary.Reason], updates: Int, state: State,
        createdAt: Date, readyAt: Date, attempts: Int, lastError: String?, deliveredAt: Date?, remoteID: String?,
        summary: Summary?
    ) {
        self.id = id
        self.room = room
        self.incidentNumber = incidentNumber
        self.reasons = reasons
        self.updates = updates
        self.state = state
        self.createdAt = createdAt
        self.readyAt = readyAt
        self.attempts = attempts
        self.lastError = lastError
        self.deliveredAt = deliveredAt
        self.remoteID = remoteID
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case id, room
        case incidentNumber = "incident"
        case reasons, updates, state
        case createdAt = "created_at"
        case readyAt = "ready_at"
        case attempts
        case lastError = "last_error"
        case deliveredAt = "delivered_at"
        case remoteID = "remote_id"
        case summary
    }
}

/// What a connector made of one delivery attempt.
public enum DeliveryOutcome: Sendable, Hashable {
    /// The chat server took the message; `remoteID` is its id for it, when it gives one.
    case delivered(remoteID: String?)
    /// Worth trying again: a timeout, a refused connection, 429, 5xx. `after` is the server's wish
    /// (Retry-After, `retry_after_ms`), if it said.
    case retry(reason: String, after: Duration?)
    /// Trying again will not help: a bad token, a room that does not exist, a payload the server refuses.
    case permanent(reason: String)
}
