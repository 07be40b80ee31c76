import Foundation
import NoroshiCore

/// The sign-in page `/login`: the only page anonymous visitors see.
public struct LoginPage {
    var chrome: Chrome
    var error: String?
    var next: String

    public init(language: BoardLanguage, error: String? = nil, next: String = "/") {
        chrome = Chrome(
            language: language, title: language.words["signIn"]!, viewer: nil, path: "/login", query: "",
            current: "login")
        self.error = error
        self.next = next
    }
}

/// A confirmation step before an action changes anything: the question, and a form that repeats the request
/// with `confirm=1`.
public struct ConfirmPage {
    var chrome: Chrome
    var question: String
    var action: String
    var fields: [Field]
    var back: String
    /// Text the change carries, shown as it will be sent (a 即報's situation).
    var detail: String?

    struct Field {
        var name: String
        var value: String
    }

    public init(
        language: BoardLanguage, viewer: Viewer, question: String, action: String, fields: [(String, String)],
        back: String, detail: String? = nil
    ) {
        chrome = Chrome(
            language: language, title: language.words["confirmTitle"]!, viewer: viewer, path: back, query: "",
            current: "board")
        self.question = question
        self.action = action
        self.fields = fields.map { Field(name: $0.0, value: $0.1) } + [Field(name: "confirm", value: "1")]
        self.back = back
        self.detail = detail.map(Terminal.visible)
    }
}

/// A page that only says something went wrong (not found, not allowed, bad parameters) and links back.
public struct MessagePage {
    var chrome: Chrome
    var heading: String
    var message: String

    public init(language: BoardLanguage, viewer: Viewer?, heading: String, message: String) {
        chrome = Chrome(language: language, title: heading, viewer: viewer, path: "/", query: "", current: "")
        self.heading = heading
        self.message = message
    }
}

/// The outbox page `/outbox`: per room, how many messages are queued, sending, delivered and dead, and every
/// dead letter with its last error and (for HQ) a retry button.
public struct OutboxPage {
    var chrome: Chrome
    var rooms: [RoomView]
    var hasRooms: Bool
    var dead: [DeadView]
    var hasDead: Bool

    struct RoomView {
        var name: String
        var queued: Int
        var sending: Int
        var delivered: Int
        var dead: Int
    }

    struct DeadView {
        var id: Int64
        var room: String
        var incident: String?
        var attempts: Int
        var created: String
        var lastError: String
    }

    /// `counts` maps a room to its count per state; `rooms` are the configured rooms (shown even when empty).
    public init(
        language: BoardLanguage, viewer: Viewer, rooms: [String], counts: [String: [OutboxMessage.State: Int]],
        dead: [OutboxMessage]
    ) {
        chrome = Chrome(
            language: language, title: language.words["outbox"]!, viewer: viewer, path: "/outbox", query: "",
            current: "outbox", live: true)
        let names = Array(Set(rooms).union(counts.keys)).sorted()
        self.rooms = names.map { name in
            let count = counts[name] ?? [:]
            return RoomView(
                name: name, queued: count[.queued] ?? 0, sending: count[.sending] ?? 0,
                delivered: count[.delivered] ?? 0, dead: count[.dead] ?? 0)
        }
        hasRooms = !self.rooms.isEmpty
        self.dead = dead.map {
            DeadView(
                id: $0.id, room: $0.room, incident: $0.incidentNumber, attempts: $0.attempts,
                created: Clock.jst($0.createdAt), lastError: Terminal.visible($0.lastError ?? ""))
        }
        hasDead = !self.dead.isEmpty
    }
}
