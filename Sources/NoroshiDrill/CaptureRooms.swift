import Foundation
import NoroshiChat
import NoroshiCore
import NoroshiLoopback
import Synchronization

/// The chat rooms of a controlled drill, inside the runner: one loopback HTTP server takes each room's signed
/// webhook at `/rooms/NAME`, checks the signature, and records every attempt at the drill clock's time.
///
/// Faults make a room misbehave for a while the way a chat server does: `unreachable` hangs up without an
/// answer, `rate_limited` answers 429 with Retry-After, `slow` holds the answer until the drill clock has moved
/// on by the delay (or, past the connector's timeout, hangs up when that runs out).
final class CaptureRooms: Sendable {
    /// One request a room received.
    struct Attempt: Sendable, Hashable {
        var room: String
        /// The drill clock's time when the room answered (or hung up).
        var at: Date
        var deliveryID: String
        var summary: Summary?
        /// The text in the room's language, as the board rendered it.
        var text: String
        /// Nil when the room took the message; else why it did not.
        var failure: String?
        /// The room had already taken this delivery id (a receiver drops such a repeat).
        var isRepeat: Bool
    }

    struct Window: Sendable {
        var room: String
        var from: Date
        var until: Date
        var kind: Playbook.Fault.Kind
    }

    /// An answer held back by a `slow` fault until the drill clock reaches `release`.
    struct Hold: Sendable {
        var room: String
        var release: Date
        var gate: LoopbackHTTPServer.Gate
    }

    struct State: Sendable {
        var attempts: [Attempt] = []
        var accepted: Set<String> = []
        var faults: [Window] = []
        var holds: [Hold] = []
    }

    let clock: ManualClock
    let secret: String
    /// The connectors' timeout: a `slow` answer that would take longer is a hang-up when it runs out.
    let timeout: Duration
    private let state = Mutex(State())
    private let server: Mutex<LoopbackHTTPServer?> = Mutex(nil)

    init(clock: ManualClock, timeout: Duration) throws {
        self.clock = clock
        self.timeout = timeout
        self.secret = (0..<32).map { _ in UInt8.random(in: 0...255) }.hexEncoded
        let server = try LoopbackHTTPServer { [weak self] request in
            self?.answer(request) ?? .close
        }
        self.server.withLock { $0 = server }
    }

    /// Stops listening.
    func stop() {
        server.withLock { server in
            server?.stop()
            server = nil
        }
        release(through: .distantFuture)
    }

    /// The board's configuration for a capture room: a signed webhook, unpaced (a capture room takes messages as
    /// fast as they come; pacing would only cost real time), in the playbook's language.
    func configuration(for room: Playbook.Room) -> RoomConfiguration {
        let url = server.withLock { $0?.url("/rooms/\(room.name)") } ?? "http://127.0.0.1:9/"
        return RoomConfiguration(
            name: room.name,
            connector: .webhook(url: url, secret: Secret(value: secret, origin: "the drill runner"), sendImage: true),
            language: room.language, messagesPerSecond: 0)
    }

    /// Makes `room` misbehave from `from` until `until` (drill clock times).
    func add(_ fault: Playbook.Fault, from: Date, until: Date) {
        state.withLock { $0.faults.append(Window(room: fault.room, from: from, until: until, kind: fault.kind)) }
    }

    /// Every attempt so far, in the order the rooms answered.
    var attempts: [Attempt] { state.withLock { $0.attempts } }

    /// Rooms with an answer held back: their messages are on the wire, not waiting for the board.
    var heldRooms: Set<String> { state.withLock { Set($0.holds.map(\.room)) } }

    /// When the earliest held answer is due.
    var nextRelease: Date? { state.withLock { $0.holds.map(\.release).min() } }

    /// Lets go of every answer held until `date` or earlier.
    func release(through date: Date) {
        let due = state.withLock { state in
            let due = state.holds.filter { $0.release <= date }
            state.holds.removeAll { $0.release <= date }
            return due
        }
        for hold in due { hold.gate.open() }
    }

    // MARK: Answering

    /// The parts of the signed webhook's body the rooms look at.
    struct Payload: Decodable {
        var id: String
        var summary: Summary
        var text: String
    }

    private func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Action {
        let prefix = "/rooms/"
        guard request.method == "POST", request.target.hasPrefix(prefix) else {
            return .respond(status: 404, body: Data("Not a capture room.".utf8))
        }
        let room = String(request.target.dropFirst(prefix.count))
        let now = clock.now()
        let deliveryID = request.headers["x-noroshi-delivery"] ?? ""
        let payload = try? JSONDecoder.noroshi().decode(Payload.self, from: request.body)
        var attempt = Attempt(
            room: room, at: now, deliveryID: deliveryID, summary: payload?.summary, text: payload?.text ?? "",
            failure: nil, isRepeat: false)
        guard let timestamp = request.headers["x-noroshi-timestamp"].flatMap(Int.init),
            request.headers["x-noroshi-signature"]
                == WebhookConnector.signature(body: request.body, timestamp: timestamp, secret: secret)
        else {
            attempt.failure = "the signature did not verify"
            record(attempt)
            return .respond(status: 401, body: Data("Bad signature.".utf8))
        }
        guard payload != nil, !deliveryID.isEmpty else {
            attempt.failure = "the body is not a Noroshi summary"
            record(attempt)
            return .respond(status: 400, body: Data("Not a summary.".utf8))
        }
        let fault = state.withLock { state in
            state.faults.last { $0.room == room && $0.from <= now && now < $0.until }?.kind
        }
        let accepted = Action.respond(
            status: 200, headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
        switch fault {
        case nil:
            record(attempt)
            return accepted
        case .unreachable:
            attempt.failure = "unreachable"
            record(attempt)
            return .close
        case .rateLimited(let retryAfter):
            attempt.failure = "rate-limited (429, Retry-After \(DrillTime.length(retryAfter)))"
            record(attempt)
            let seconds = Int((retryAfter.timeInterval).rounded(.up))
            return .respond(status: 429, headers: [("Retry-After", String(seconds))], body: Data("Slow down.".utf8))
        case .slow(let delay):
            let timedOut = delay >= timeout
            let gate = LoopbackHTTPServer.Gate()
            let release = now.addingTimeInterval((timedOut ? timeout : delay).timeInterval)
            attempt.at = release
            if timedOut { attempt.failure = "no answer within \(DrillTime.length(timeout)) (slow)" }
            state.withLock { $0.holds.append(Hold(room: room, release: release, gate: gate)) }
            record(attempt)
            return .hold(gate, then: timedOut ? .close : accepted)
        }
    }

    private typealias Action = LoopbackHTTPServer.Action

    private func record(_ attempt: Attempt) {
        state.withLock { state in
            var attempt = attempt
            // libcurl sends a request once more on a fresh connection when a kept-alive one was dropped
            // without an answer: both halves of that one attempt arrive at the same drill time.
            if attempt.failure != nil, let last = state.attempts.last(where: { $0.room == attempt.room }),
                last.deliveryID == attempt.deliveryID, last.at == attempt.at, last.failure == attempt.failure
            {
                return
            }
            if attempt.failure == nil {
                attempt.isRepeat = !state.accepted.insert(attempt.deliveryID).inserted
            }
            state.attempts.append(attempt)
        }
    }
}
