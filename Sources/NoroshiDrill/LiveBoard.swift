import Foundation
import NoroshiClient
import NoroshiCore
import Synchronization

/// A live daemon, played through its public API in real time (or `speed` times faster): its own rooms, its own
/// clock. The runner cannot make a live board's chat servers fail or restart it, so those injects are logged
/// and skipped; what the rooms received is read from the board's outbox.
final class LiveBoard: DrillBoard {
    let field: APIClient
    let hq: APIClient
    let start: Date
    /// Drill seconds per real second.
    let speed: Double
    /// The rooms' languages, to render what the outbox sent the way the room read it.
    let languages: [String: ChatLanguage]
    /// How long to wait, in real time, for the board to send what the drill caused.
    let patience: Duration

    init(
        server: String, token: String, speed: Double, rooms: [Playbook.Room], patience: Duration = .seconds(300)
    ) {
        let client = APIClient(server: server, token: token)
        self.field = client
        self.hq = client
        self.start = Date()
        self.speed = speed
        self.patience = patience
        var languages: [String: ChatLanguage] = [:]
        for room in rooms { languages[room.name] = room.language }
        self.languages = languages
    }

    var mode: String {
        "live board at \(hq.server), " + (speed == 1 ? "real time" : "\(Self.factor(speed))× real time")
    }

    static func factor(_ speed: Double) -> String {
        speed == speed.rounded() ? String(Int(speed)) : String(speed)
    }

    var elapsed: Duration { offset(of: Date()) }
    var now: Date { Date() }

    func offset(of date: Date) -> Duration {
        .milliseconds(max(0, Int64((date.timeIntervalSince(start) * speed * 1000).rounded())))
    }

    /// The real moment at which the drill reaches `offset`.
    private func moment(_ offset: Duration) -> Date {
        start.addingTimeInterval(offset.timeInterval / speed)
    }

    func advance(to offset: Duration, observe: () async throws -> Void) async throws {
        let target = moment(offset)
        while true {
            try await observe()
            let left = target.timeIntervalSinceNow
            guard left > 0 else { return }
            try await Task.sleep(for: .milliseconds(Int64(min(left, 1) * 1000)))
        }
    }

    func settle() async throws {}

    func finish(incidents: Set<String>, observe: () async throws -> Void) async throws -> String? {
        // Chat events are routed a moment after the change, and a new incident's message waits a few seconds for
        // photos: the outbox must show nothing pending for several seconds running.
        let deadline = ContinuousClock.now + patience
        var quiet = 0
        while ContinuousClock.now < deadline {
            try await observe()
            let pending = try await hq.call("GET", "/v1/outbox?state=pending&limit=10000", as: OutboxList.self)
            let ours = pending.messages.filter { $0.incidentNumber.map(incidents.contains) ?? false }
            quiet = ours.isEmpty ? quiet + 1 : 0
            if quiet >= 8 { return nil }
            try await Task.sleep(for: .seconds(1))
        }
        return "After \(DrillTime.length(patience)) of waiting the board still had messages to send; "
            + "the runner stopped waiting."
    }

    func fault(_ fault: Playbook.Fault) -> String? {
        "Skipped: a drill against a live board cannot make its real chat servers fail."
    }

    func restart() async throws -> String? {
        "Skipped: a drill against a live board does not restart it."
    }

    func messages(incidents: Set<String>) async throws -> [RoomMessage] {
        let list = try await hq.call("GET", "/v1/outbox?state=delivered&limit=10000", as: OutboxList.self)
        var seen: Set<String> = []
        return list.messages.compactMap { message -> RoomMessage? in
            guard let number = message.incidentNumber, incidents.contains(number), let summary = message.summary,
                let deliveredAt = message.deliveredAt
            else { return nil }
            // The runner cannot see a live room, only the outbox: a repeat is the very same summary sent twice.
            let json = (try? JSONEncoder.noroshi().encode(summary)) ?? Data()
            let key = message.room + "\n" + String(decoding: json, as: UTF8.self)
            let style = SummaryStyle(language: languages[message.room] ?? .japanese)
            return RoomMessage(
                room: message.room, at: offset(of: deliveredAt), deliveryID: String(message.id), summary: summary,
                text: summary.rendered(style).text, failure: nil, isRepeat: !seen.insert(key).inserted)
        }.sorted { $0.at < $1.at }
    }
}
