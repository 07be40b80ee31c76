import Foundation
import Logging
import NoroshiChat
import NoroshiClient
import NoroshiCore
import NoroshiServer
import NoroshiStorage
import ServiceLifecycle
import Synchronization

/// A whole board inside the runner: the real daemon (HTTP API, photo jobs, chat delivery) on a temporary data
/// directory and a port of its own, with a ``ManualClock`` and capture rooms.
///
/// Time jumps: the runner moves the clock to the next moment something is due (an inject, an expectation, a
/// message's gathering window or retry, a slow room's answer) and waits, in real time, until the board has
/// done everything due by then. A two-hour scenario takes seconds, and every run gives the same result.
final class LocalBoard: DrillBoard {
    let clock: ManualClock
    let start: Date
    let capture: CaptureRooms
    let configuration: NoroshiConfiguration
    let logger: Logger
    private let daemons: AsyncStream<Instance>.Continuation
    private let current: Mutex<Instance?> = Mutex(nil)
    private let clients: Mutex<(field: APIClient, hq: APIClient)?> = Mutex(nil)
    private let tokens: Mutex<(field: String, hq: String)?> = Mutex(nil)
    /// Playbook rooms that go to the configuration's real chat rooms, not to capture rooms.
    let realRooms: Set<String>

    var mode: String { "controlled clock" }
    var field: APIClient { clients.withLock { $0!.field } }
    var hq: APIClient { clients.withLock { $0!.hq } }
    var elapsed: Duration { offset(of: clock.now()) }
    var now: Date { clock.now() }

    func offset(of date: Date) -> Duration {
        .milliseconds(date.millisecondsSince1970 - start.millisecondsSince1970)
    }

    /// One run of the daemon, from start to graceful shutdown.
    final class Instance: Sendable {
        let daemon: Daemon
        let logger: Logger
        let group: ServiceGroup
        let ports: AsyncStream<Int>
        let portContinuation: AsyncStream<Int>.Continuation
        let stopped: AsyncStream<Void>
        let stoppedContinuation: AsyncStream<Void>.Continuation

        init(daemon: Daemon, logger: Logger) {
            (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
            (stopped, stoppedContinuation) = AsyncStream.makeStream(of: Void.self)
            self.daemon = daemon
            self.logger = logger
            let ports = portContinuation
            group = ServiceGroup(
                configuration: .init(
                    services: daemon.services { port in ports.yield(port) }, gracefulShutdownSignals: [],
                    logger: logger))
        }

        /// Runs the daemon until it is shut down; says so on `stopped` however it ends.
        func run() async {
            defer {
                portContinuation.finish()
                stoppedContinuation.finish()
            }
            do {
                try await group.run()
            } catch {
                logger.error("The drill's board stopped", metadata: ["error": "\(error)"])
            }
        }
    }

    private init(
        clock: ManualClock, capture: CaptureRooms, configuration: NoroshiConfiguration, realRooms: Set<String>,
        logger: Logger, daemons: AsyncStream<Instance>.Continuation
    ) {
        self.realRooms = realRooms
        self.clock = clock
        self.start = clock.now()
        self.capture = capture
        self.configuration = configuration
        self.logger = logger
        self.daemons = daemons
    }

    /// Starts a board for `playbook` on a new temporary data directory, runs `body`, then shuts the board down
    /// and removes the directory (unless `keep` is set).
    ///
    /// `base` supplies the linking rule, limits and outbox timing (a deployment's configuration file, say);
    /// the data directory, address and rooms are the board's own.
    static func run<T: Sendable>(
        playbook: Playbook,
        base: NoroshiConfiguration = NoroshiConfiguration(),
        keep: Bool = false,
        realRooms: Bool = false,
        logger: Logger,
        _ body: (LocalBoard) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "noroshi-drill-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer {
            if keep {
                logger.notice("The drill's board data stays in \(directory.path)")
            } else {
                try? FileManager.default.removeItem(at: directory)
            }
        }
        // Whole seconds, so that offsets and times in messages read cleanly.
        let start = playbook.start ?? Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let clock = ManualClock(start)
        var configuration = base
        configuration.dataDirectory = directory.path
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let capture = try CaptureRooms(clock: clock, timeout: configuration.chat.http.timeout)
        defer { capture.stop() }
        // With `realRooms`, a playbook room that `base` configures keeps its real connector.
        let real = realRooms ? base.chat.rooms.filter { room in playbook.rooms.contains { $0.name == room.name } } : []
        configuration.chat.rooms = playbook.rooms.map { room in
            real.first { $0.name == room.name } ?? capture.configuration(for: room)
        }
        configuration.chat.routes = nil
        let (daemons, continuation) = AsyncStream.makeStream(of: Instance.self)
        let board = LocalBoard(
            clock: clock, capture: capture, configuration: configuration, realRooms: Set(real.map(\.name)),
            logger: logger, daemons: continuation)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            // One child task runs each daemon in turn: the first, and the one after each restart.
            tasks.addTask {
                for await instance in daemons { await instance.run() }
            }
            do {
                try await board.startDaemon()
                let result = try await body(board)
                await board.stopDaemon()
                continuation.finish()
                try await tasks.waitForAll()
                return result
            } catch {
                await board.stopDaemon()
                continuation.finish()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    private func startDaemon() async throws {
        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: configuration, clock: clock, logger: logger)
        } catch {
            throw DrillError("The drill's board cannot start: \(error.message)")
        }
        let instance = Instance(daemon: daemon, logger: logger)
        daemons.yield(instance)
        var ports = instance.ports.makeAsyncIterator()
        guard let port = await ports.next() else {
            throw DrillError("The drill's board did not start listening; run with --verbose to see why.")
        }
        current.withLock { $0 = instance }
        var secrets = tokens.withLock { $0 }
        if secrets == nil {
            secrets = try await makeTokens(daemon.store)
            tokens.withLock { $0 = secrets }
        }
        guard let secrets else { return }
        let server = "http://127.0.0.1:\(port)"
        clients.withLock {
            $0 = (APIClient(server: server, token: secrets.field), APIClient(server: server, token: secrets.hq))
        }
    }

    private func makeTokens(_ store: Store) async throws -> (field: String, hq: String) {
        (
            try await store.createToken(name: "drill field crew", role: .field).secret,
            try await store.createToken(name: "drill HQ", role: .hq).secret
        )
    }

    private func stopDaemon() async {
        guard let instance = current.withLock({ $0 }) else { return }
        await instance.group.triggerGracefulShutdown()
        for await _ in instance.stopped {}
        current.withLock { $0 = nil }
    }

    private var store: Store {
        get throws {
            guard let instance = current.withLock({ $0 }) else { throw DrillError("The drill's board is not running.") }
            return instance.daemon.store
        }
    }

    // MARK: Time

    func advance(to offset: Duration, observe: () async throws -> Void) async throws {
        let target = start.addingTimeInterval(offset.timeInterval)
        while true {
            try await settle()
            try await observe()
            guard let next = try await nextDue(), next < target else { break }
            move(to: next)
        }
        move(to: target)
        try await settle()
    }

    func finish(incidents: Set<String>, observe: () async throws -> Void) async throws -> String? {
        // Retries back off to five minutes at most, so six hours is far more than any message can need.
        let limit = clock.now().addingTimeInterval(6 * 3600)
        while true {
            try await settle()
            try await observe()
            guard let next = try await nextDue() else { return nil }
            guard next <= limit else {
                return "At \(DrillTime.format(elapsed)) messages were still waiting for a retry after "
                    + "\(DrillTime.format(offset(of: next))); the runner stopped waiting."
            }
            move(to: next)
        }
    }

    /// The next moment the board has something planned: a message's gathering window or retry ends, or a slow
    /// room answers.
    private func nextDue() async throws -> Date? {
        let activity = try await store.activity()
        return [activity.nextReadyAt, capture.nextRelease].compactMap { $0 }.min()
    }

    /// Moves the clock; the ``settle()`` that always follows rings the board's loops.
    private func move(to date: Date) {
        clock.advance(to: date)
        capture.release(through: date)
    }

    /// Waits until nothing is due: every chat event routed, every photo copy made, and every room either done
    /// with what is due, waiting for a retry, or waiting for a slow answer.
    func settle() async throws {
        let store = try self.store
        let wakeups = current.withLock { $0 }?.daemon.chatWakeups
        let deadline = ContinuousClock.now + .seconds(120)
        // Woken by every commit that changes what is left to do, rather than polling.
        let changed = Wakeup()
        let observation = try await store.observeActivity { changed.notify() }
        defer { observation.cancel() }
        while true {
            let activity = try await store.activity()
            if activity.isIdle(except: capture.heldRooms) { return }
            // The loops sleep on the board's clock and wake when it moves; work that is not on any clock (a photo
            // copy being made) is looked at again after a commit or at the latest in 50 ms.
            wakeups?.wakeAll()
            guard ContinuousClock.now < deadline else {
                throw DrillError(
                    "The board did not finish its work due at \(DrillTime.format(elapsed)) within two minutes: "
                        + "\(activity.unroutedEvents) chat events unrouted, \(activity.photoJobs) photo copies to "
                        + "make, messages due in \(activity.dueRooms.sorted().joined(separator: ", ")).")
            }
            await changed.wait(for: .milliseconds(50))
        }
    }

    // MARK: Injected trouble

    func fault(_ fault: Playbook.Fault) -> String? {
        if realRooms.contains(fault.room) {
            return "Skipped: \(fault.room) is a real chat room, which the runner does not break."
        }
        capture.add(fault, from: clock.now(), until: start.addingTimeInterval(fault.until.timeInterval))
        return nil
    }

    func restart() async throws -> String? {
        await stopDaemon()
        try await startDaemon()
        return nil
    }

    func messages(incidents: Set<String>) async throws -> [RoomMessage] {
        var messages = capture.attempts.map { attempt in
            RoomMessage(
                room: attempt.room, at: offset(of: attempt.at), deliveryID: attempt.deliveryID,
                summary: attempt.summary, text: attempt.text, failure: attempt.failure, isRepeat: attempt.isRepeat)
        }
        if !realRooms.isEmpty {
            // What the board sent to real rooms, as its outbox recorded it.
            let sent = try await store.outboxMessages(OutboxFilter(states: [.delivered], limit: 100_000))
            for message in sent where realRooms.contains(message.room) {
                guard let summary = message.summary, let deliveredAt = message.deliveredAt else { continue }
                let language = configuration.chat.rooms.first { $0.name == message.room }?.language ?? .japanese
                messages.append(
                    RoomMessage(
                        room: message.room, at: offset(of: deliveredAt), deliveryID: String(message.id),
                        summary: summary, text: summary.rendered(SummaryStyle(language: language)).text, failure: nil,
                        isRepeat: false))
            }
        }
        return messages.sorted { $0.at < $1.at }
    }
}
