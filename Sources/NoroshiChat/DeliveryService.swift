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
                if !touched.isEmpty { continue }
            } catch {
                logger.error("Chat events cannot be routed", metadata: ["error": "\(error)"])
            }
            await wakeups.routing.wait(for: .seconds(5))
        }
    }

    /// Sends one room's messages, one at a time, in order.
    func deliver(room: RoomConfiguration, connector: any Connector, wakeup: Wakeup, instance: String) async {
        let style = SummaryStyle(
            language: room.language, boardURL: configuration.boardURL, utcOffset: configuration.utcOffset)
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
            case .send(let message):
                lastSent = .now
                claimed = await attempt(message, room: room, style: style, connector: connector, instance: instance)
            }
        }
    }

    /// Sends one message and records the outcome; an unpaced room claims its next message in the same
    /// transaction and gets it back.
    func attempt(
        _ message: OutboxMessage, room: RoomConfiguration, style: SummaryStyle, connector: any Connector,
        instance: String
    ) async -> OutboxClaim? {
        guard let summary = message.summary else { return nil }
        let chat = ChatMessage(
            deliveryID: "\(instance)-\(message.id)", summary: summary, rendered: summary.rendered(style),
            image: summary.image.flatMap { images($0.sha256) })
        let outcome = await connector.deliver(chat)
        var wish: Duration?
        if case .retry(_, let after) = outcome { wish = after }
        let delay = configuration.backoff(afterAttempt: message.attempts + 1, wish: wish)
        let retryAt = clock.now().addingTimeInterval(delay.timeInterval)
        var metadata: Logger.Metadata = [
            "room": "\(room.name)", "outbox.id": "\(message.id)", "incident.number": "\(summary.number)",
        ]
        do {
            let (after, next) = try await store.finishOutboxMessage(
                id: message.id, outcome: outcome, retryAt: retryAt, settings: configuration.outbox,
                thenClaim: room.interval > .zero ? nil : room.name)
            switch (outcome, after.state) {
            case (.delivered, _):
                logger.info("Chat message delivered", metadata: metadata)
            case (.retry(let reason, _), .sending):
                metadata["error"] = "\(reason)"
                metadata["retry.in"] = "\(String(format: "%.2f s", delay.timeInterval))"
                logger.warning("Chat message not delivered; will retry", metadata: metadata)
            case (.retry(let reason, _), _), (.permanent(let reason), _):
                metadata["error"] = "\(reason)"
                logger.error("Chat message dead-lettered", metadata: metadata)
            }
            return next
        } catch {
            // The message stays `sending` and goes again under the same delivery id.
            metadata["error"] = "\(error)"
            logger.error("A delivery outcome cannot be recorded", metadata: metadata)
            return nil
        }
    }
}
