import Foundation
import Logging
import NoroshiCore
import NoroshiHTTPClient
import NoroshiStorage
import ServiceLifecycle

/// The wake-up calls of a delivery service: one for routing new chat events, one per room. The API rings a
/// room's when HQ re-queues a dead letter.
public final class OutboxWakeups: Sendable {
    let routing = Wakeup()
    let rooms: [String: Wakeup]

    public init(rooms: [String]) {
        var wakeups: [String: Wakeup] = [:]
        for room in rooms { wakeups[room] = Wakeup() }
        self.rooms = wakeups
    }

    /// Makes the room's delivery loop look at the outbox now.
    public func wake(room: String) { rooms[room]?.notify() }

    /// Makes the router and every room's loop look at the store now (after a drill moved its clock, say).
    public func wakeAll() {
        routing.notify()
        for wakeup in rooms.values { wakeup.notify() }
    }
}

/// Delivers the outbox: routes committed chat events to rooms, then sends each room's messages in order,
/// paced, retried with backoff, dead-lettered after the configured number of attempts.
///
/// Everything it knows lives in the database, so a restart carries on where the last run stopped: a message
/// whose send was interrupted is sent again under the same delivery id (Matrix drops the repeat; webhook
/// receivers see the same `X-Noroshi-Delivery`).
public struct DeliveryService: Service {
    let store: Store
    let configuration: ChatConfiguration
    let connectors: [String: any Connector]
    let wakeups: OutboxWakeups
    let images: @Sendable (String) -> Data?
    let clock: any WallClock
    let logger: Logger
    /// When each room was first configured (``Store/roomStarts(_:)``); events from before are not sent to it.
    let roomStarts: [String: Int64]

    /// `images` reads the chat copy of a photo by SHA-256; `wakeups` must name the configured rooms.
    public init(
        store: Store,
        configuration: ChatConfiguration,
        wakeups: OutboxWakeups,
        images: @escaping @Sendable (String) -> Data?,
        clock: any WallClock = SystemClock(),
        roomStarts: [String: Int64] = [:],
        logger: Logger
    ) {
        self.roomStarts = roomStarts
        let client = HTTPClient(configuration: configuration.http)
        var connectors: [String: any Connector] = [:]
        for room in configuration.rooms {
            connectors[room.name] = room.makeConnector(client: client, clock: clock)
        }
        self.store = store
        self.configuration = configuration
        self.connectors = connectors
        self.wakeups = wakeups
        self.images = images
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let instance = try await store.instanceID()
        let configured = configuration.rooms.map(\.name)
        for (room, count) in try await store.outboxForgottenRooms(configured: Set(configured)).sorted(by: {
            $0.key < $1.key
        }) {
            logger.warning(
                "Messages wait for a room that is no longer configured; drop them with 'noroshi outbox drop --room \(room)'",
                metadata: ["room": "\(room)", "messages": "\(count)"])
        }
        let wakeups = wakeups
        // Without rooms, events only need clearing away: every few seconds, not after every commit.
        let observation =
            configuration.rooms.isEmpty ? nil : try await store.observeChatEvents { wakeups.routing.notify() }
        defer { observation?.cancel() }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await route() }
                for room in configuration.rooms {
                    guard let connector = connectors[room.name], let wakeup = wakeups.rooms[room.name] else { continue }
                    group.addTask {
                        await deliver(room: room, connector: connector, wakeup: wakeup, instance: instance)
                    }
                }
            }
        } onGracefulShutdown: {
            wakeups.wakeAll()
        }
    }

    /// Turns chat events into outbox rows whenever a commit wrote some (and every few seconds regardless).
    func route() async {
        let routes = configuration.effectiveRoutes
        let roomStarts = self.roomStarts
        // The reminders are looked for every few seconds on the injected clock, not in every routing pass of a
        // burst (each look is a write transaction).
        var remindersLookedAt: Date?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if configuration.rooms.isEmpty {
                // Nobody reads them: all at once, not a thousand every five seconds (a burst of new incidents
                // used to queue events faster than that).
                do { try await store.clearChatEvents() } catch {
                    logger.error("Chat events cannot be cleared", metadata: ["error": "\(error)"])
                }
                await wakeups.routing.wait(for: .seconds(5))
                continue
            }
            do {
                let reminders = configuration.sokuhoReminder
                let now = clock.now()
                if !reminders.rooms.isEmpty, remindersLookedAt.map({ now.timeIntervalSince($0) >= 5 }) ?? true {
                    try await store.queueSokuhoReminders(after: reminders.minutes)
                    remindersLookedAt = now
                }
                let touched = try await store.routeChatEvents(settings: configuration.outbox, roomStarts: roomStarts) {
                    incident, reason in
                    reason == .sokuhoReminder ? reminders.rooms : routes.rooms(for: incident)
                }
                for room in touched { wakeups.wake(room: room) }
                if !touched.isEmpty {
                    try? await Task.sleep(for: .milliseconds(2))
                    continue
                }
            } catch {
                logger.error("Chat events cannot be routed", metadata: ["error": "\(error)"])
            }
            await wakeups.routing.wait(for: .seconds(5))
        }
    }

    /// Sends one room's messages, one at a time, in order.
    func deliver(room: RoomConfiguration, connector: any Connector, wakeup: Wakeup, instance: String) async {
        let context = RoomContext(
            room: room, connector: connector, instance: instance,
            style: SummaryStyle(
                language: room.language, boardURL: configuration.boardURL, utcOffset: configuration.utcOffset))
        var lastSent: ContinuousClock.Instant?
        var claimed: OutboxClaim?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Pace before looking, so that changes arriving while the room waits join the next message.
            if let lastSent, room.interval > .zero, lastSent + room.interval > .now {
                try? await Task.sleep(until: lastSent + room.interval)
            }
            let claim: OutboxClaim
            do {
                if let next = claimed {
                    claim = next
                    claimed = nil
                } else {
                    claim = try await store.nextOutboxMessage(room: room.name, settings: configuration.outbox)
                }
            } catch {
                logger.error("The outbox cannot be read", metadata: ["room": "\(room.name)", "error": "\(error)"])
                await wakeup.wait(for: .seconds(5))
                continue
            }
            switch claim {
            case .idle:
                await wakeup.wait(for: .seconds(30))
            case .wait(let until):
                // On the injected clock: a drill that moves it wakes the room; a real clock simply sleeps.
                await wakeup.wait(until: until, clock: clock, atMost: .seconds(5))
            case .send(let message) where room.interval > .zero:
                lastSent = .now
                let attempt = await send(message, context)
                if case .advanced(let next, let rest) = await advance(
                    recording: [attempt], claim: 1, after: nil, context)
                {
                    claimed = next.first.map(OutboxClaim.send) ?? rest
                }
            case .send(let message):
                claimed = await stream(from: message, context)
            }
        }
    }

    /// How far an unpaced room claims ahead, and how many delivered messages it records in one commit.
    static let window = 8
    static let batch = 4

    /// Sends an unpaced room's messages back to back, each exchange overlapping a commit: while one message
    /// is on the wire, a transaction records how the previous few went and claims the next few, so the
    /// room commits about once every ``batch`` messages instead of once or twice per message.
    ///
    /// Order holds: a message goes only after the one before it was delivered. A failure ends the stream
    /// once its outcome is recorded; messages claimed ahead stay `sending`, frozen, and go when their turn
    /// comes. A crash can leave up to ``batch`` + 1 delivered messages unrecorded, and a restart sends
    /// them again under their delivery ids (Matrix drops them; a signed-webhook receiver should too).
    /// Returns what the last commit found when the stream ends with nothing in hand to send.
    func stream(from first: OutboxMessage, _ context: RoomContext) async -> OutboxClaim? {
        var window = [first]  // claimed and frozen, not yet sent, in order
        var unrecorded: [Attempt] = []  // delivered, not yet recorded
        var lastClaimed = first.id
        var exhausted = false  // the last claim found nothing more ready
        while true {
            while !window.isEmpty {
                let current = window.removeFirst()
                let refill = exhausted ? 0 : Self.window - window.count
                let due = unrecorded.count >= Self.batch || (refill > 0 && window.count < Self.batch)
                let (recording, after) = (unrecorded, lastClaimed)
                async let ahead = due ? advance(recording: recording, claim: refill, after: after, context) : .skipped
                let attempt = await send(current, context)
                switch await ahead {
                case .skipped:
                    break
                case .failed:
                    // Nothing of that commit happened: record it again with this attempt, and stop.
                    _ = await advance(recording: unrecorded + [attempt], claim: 0, after: nil, context)
                    return nil
                case .advanced(let claimed, let rest):
                    unrecorded.removeFirst(recording.count)
                    window += claimed
                    lastClaimed = claimed.last?.id ?? lastClaimed
                    exhausted = rest != nil
                }
                unrecorded.append(attempt)
                guard case .delivered = attempt.outcome, !Task.isShuttingDownGracefully, !Task.isCancelled else {
                    _ = await advance(recording: unrecorded, claim: 0, after: nil, context)
                    return nil
                }
            }
            // Nothing claimed is left: record what was delivered and look again in the same commit.
            guard
                case .advanced(let claimed, let rest) = await advance(
                    recording: unrecorded, claim: Self.window, after: nil, context)
            else { return nil }
            guard let next = claimed.first else { return rest }
            window = claimed
            unrecorded = []
            lastClaimed = claimed.last?.id ?? next.id
            exhausted = rest != nil
        }
    }

    /// What a commit of ``advance(recording:claim:after:_:)`` did.
    enum Advance: Sendable {
        /// No commit was due.
        case skipped
        /// The commit failed; nothing of it happened.
        case failed
        /// Recorded, and these messages claimed; `rest` says why claiming stopped short, if it did.
        case advanced(claimed: [OutboxMessage], rest: OutboxClaim?)
    }

    /// Records `attempts` and claims up to `count` of the room's next messages after `after`, in one commit,
    /// and logs each recorded outcome.
    func advance(recording attempts: [Attempt], claim count: Int, after: Int64?, _ context: RoomContext) async
        -> Advance
    {
        do {
            let result = try await store.advanceOutbox(
                room: context.room.name,
                recording: attempts.map {
                    OutboxAttempt(id: $0.message.id, outcome: $0.outcome, retryAt: $0.retryAt)
                },
                claim: count, after: after, settings: configuration.outbox)
            for (attempt, state) in zip(attempts, result.states) { log(attempt, now: state, context) }
            return .advanced(claimed: result.claimed, rest: result.rest)
        } catch {
            // The messages stay `sending` and go again under the same delivery ids.
            logger.error(
                "The outbox cannot be updated",
                metadata: [
                    "room": "\(context.room.name)", "outbox.ids": "\(attempts.map(\.message.id))",
                    "error": "\(error)",
                ])
            return .failed
        }
    }

    /// Sends one message; nothing is recorded yet.
    func send(_ message: OutboxMessage, _ context: RoomContext) async -> Attempt {
        let outcome: DeliveryOutcome
        if let summary = message.summary {
            let chat = ChatMessage(
                deliveryID: "\(context.instance)-\(message.id)", summary: summary,
                rendered: summary.rendered(context.style), image: summary.image.flatMap { images($0.sha256) })
            outcome = await context.connector.deliver(chat)
        } else {
            outcome = .permanent(reason: "The message has no summary.")
        }
        var wish: Duration?
        if case .retry(_, let after) = outcome { wish = after }
        let delay = configuration.backoff(
            afterAttempt: message.attempts + 1, wish: wish,
            random: Self.jitter(message.id, attempt: message.attempts + 1))
        return Attempt(
            message: message, outcome: outcome, delay: delay,
            retryAt: clock.now().addingTimeInterval(delay.timeInterval))
    }

    /// The backoff's jitter for a message's attempt, a fraction in 0…1 drawn from the message id and the attempt
    /// number rather than a random source: messages that failed together still spread out (their ids differ),
    /// and a drill on a controlled clock retries at the same moments every run.
    static func jitter(_ id: Int64, attempt: Int) -> Double {
        // SplitMix64's finaliser: every input bit reaches every output bit.
        var z = UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(attempt)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }

    /// Logs an attempt once its outcome is recorded; `state` is the message's state afterwards.
    func log(_ attempt: Attempt, now state: OutboxMessage.State, _ context: RoomContext) {
        let message = attempt.message
        var metadata: Logger.Metadata = [
            "room": "\(context.room.name)", "outbox.id": "\(message.id)",
            "incident.number": "\(message.summary?.number ?? message.incidentNumber ?? "-")",
        ]
        switch (attempt.outcome, state) {
        case (.delivered, _):
            logger.info("Chat message delivered", metadata: metadata)
        case (.retry(let reason, _), .sending):
            metadata["error"] = "\(reason)"
            metadata["retry.in"] = "\(String(format: "%.2f s", attempt.delay.timeInterval))"
            logger.warning("Chat message not delivered; will retry", metadata: metadata)
        case (.retry(let reason, _), _), (.permanent(let reason), _):
            metadata["error"] = "\(reason)"
            logger.error("Chat message dead-lettered", metadata: metadata)
        }
    }

    /// What a room's loop keeps at hand.
    struct RoomContext: Sendable {
        let room: RoomConfiguration
        let connector: any Connector
        let instance: String
        let style: SummaryStyle
    }

    /// One send, before its outcome is recorded.
    struct Attempt: Sendable {
        let message: OutboxMessage
        let outcome: DeliveryOutcome
        /// The wait before the next attempt, should there be one.
        let delay: Duration
        let retryAt: Date
    }
}
