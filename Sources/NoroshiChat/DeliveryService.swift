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

    func wakeAll() {
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

    /// `images` reads the chat copy of a photo by SHA-256; `wakeups` must name the configured rooms.
    public init(
        store: Store,
        configuration: ChatConfiguration,
        wakeups: OutboxWakeups,
        images: @escaping @Sendable (String) -> Data?,
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
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
        let wakeups = wakeups
        let observation = try await store.observeChatEvents { wakeups.routing.notify() }
        defer { observation.cancel() }
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
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let touched = try await store.routeChatEvents(settings: configuration.outbox) { incident in
                    routes.rooms(for: incident)
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
                let seconds = max(until.timeIntervalSince(clock.now()), 0.005)
                await wakeup.wait(for: .milliseconds(Int64(seconds * 1000)))
            case .send(let message) where room.interval > .zero:
                lastSent = .now
                claimed = await record(await send(message, context), context, thenClaim: true)
            case .send(let message):
                claimed = await stream(from: message, context)
            }
        }
    }

    /// Sends an unpaced room's messages back to back, overlapping each exchange with the commit before it:
    /// while message N is on the wire, one transaction records how N-1 went and claims N+1.
    ///
    /// Order holds: N+1 goes only after N was delivered. A failure ends the stream once its outcome is
    /// recorded; a message claimed ahead stays `sending`, frozen, and goes when its turn comes. A crash may
    /// leave N-1 unrecorded as well as N, so a restart can send the last two again, under their delivery ids.
    /// Returns what the last commit claimed, when the stream ends with a claim in hand.
    func stream(from first: OutboxMessage, _ context: RoomContext) async -> OutboxClaim? {
        var current = first
        var previous: Attempt?
        while true {
            let (sending, recording) = (current, previous)
            async let ahead = claim(after: sending.id, recording: recording, context)
            let attempt = await send(sending, context)
            let next = await ahead
            guard let next else {
                // The commit failed: record what it held, and this attempt, one at a time.
                if let previous { _ = await record(previous, context, thenClaim: false) }
                _ = await record(attempt, context, thenClaim: false)
                return nil
            }
            guard case .delivered = attempt.outcome, !Task.isShuttingDownGracefully, !Task.isCancelled else {
                _ = await record(attempt, context, thenClaim: false)
                return nil
            }
            if case .send(let following) = next {
                previous = attempt
                current = following
                continue
            }
            // Nothing was ready a moment ago: record this one and look again in the same commit.
            let again = await record(attempt, context, thenClaim: true)
            guard case .send(let following) = again else { return again }
            previous = nil
            current = following
        }
    }

    /// Claims the room's next message after `id`, recording `previous` in the same transaction; nil when the
    /// store fails.
    func claim(after id: Int64, recording previous: Attempt?, _ context: RoomContext) async -> OutboxClaim? {
        do {
            guard let previous else {
                return try await store.nextOutboxMessage(
                    room: context.room.name, settings: configuration.outbox, after: id)
            }
            let (state, next) = try await store.finishOutboxMessage(
                id: previous.message.id, outcome: previous.outcome, retryAt: previous.retryAt,
                settings: configuration.outbox, thenClaim: context.room.name, after: id)
            log(previous, now: state, context)
            return next
        } catch {
            logger.error(
                "The outbox cannot be updated", metadata: ["room": "\(context.room.name)", "error": "\(error)"])
            return nil
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
        let delay = configuration.backoff(afterAttempt: message.attempts + 1, wish: wish)
        return Attempt(
            message: message, outcome: outcome, delay: delay,
            retryAt: clock.now().addingTimeInterval(delay.timeInterval))
    }

    /// Records an attempt's outcome and, with `thenClaim`, claims the room's next message in the same
    /// transaction and returns it.
    func record(_ attempt: Attempt, _ context: RoomContext, thenClaim: Bool) async -> OutboxClaim? {
        let settings = configuration.outbox
        let message = attempt.message
        do {
            if thenClaim {
                let (state, next) = try await store.finishOutboxMessage(
                    id: message.id, outcome: attempt.outcome, retryAt: attempt.retryAt, settings: settings,
                    thenClaim: context.room.name)
                log(attempt, now: state, context)
                return next
            }
            let after = try await store.finishOutboxMessage(
                id: message.id, outcome: attempt.outcome, retryAt: attempt.retryAt, settings: settings)
            log(attempt, now: after.state, context)
        } catch {
            // The message stays `sending` and goes again under the same delivery id.
            logger.error(
                "A delivery outcome cannot be recorded",
                metadata: ["room": "\(context.room.name)", "outbox.id": "\(message.id)", "error": "\(error)"])
        }
        return nil
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
