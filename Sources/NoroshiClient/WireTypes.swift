import NoroshiCore

// Request and answer bodies of the API that live nowhere else: most wire types are the domain's own
// (ReportSubmission, ReportReceipt, Incident, Photo, …) in NoroshiCore.

/// The answer to listing the outbox: the messages asked for, and how many are in each state.
public struct OutboxList: Codable, Sendable {
    public var messages: [OutboxMessage]
    /// Messages per state (`queued` includes changes not yet routed to rooms).
    public var counts: [String: Int]

    public init(messages: [OutboxMessage], counts: [String: Int]) {
        self.messages = messages
        self.counts = counts
    }
}

/// The body of `POST /v1/outbox/drop`: one message by id, or every waiting or dead one of a room.
public struct OutboxDropRequest: Codable, Sendable {
    public var id: Int64?
    public var room: String?

    public init(id: Int64? = nil, room: String? = nil) {
        self.id = id
        self.room = room
    }
}

/// The answer to listing incidents.
public struct IncidentList: Codable, Sendable {
    public var incidents: [Incident]
    /// How many incidents match in all; `incidents` holds at most `limit` of them.
    public var total: Int?

    public init(incidents: [Incident], total: Int? = nil) {
        self.incidents = incidents
        self.total = total
    }
}
