import Foundation
import Logging
import NoroshiCore
import NoroshiStorage
import ServiceLifecycle
import Synchronization

/// Feeds `GET /v1/events`: after each commit that wrote stream events, reads them once and hands them to every
/// open stream, so that 200 open boards cost one database read per commit, not 200.
///
/// The newest events stay in memory (up to `capacity`); a stream that reconnects with an older
/// `Last-Event-ID` reads what it missed from the database. At graceful shutdown every stream is ended first,
/// so that the HTTP server is not kept waiting by connections that never finish on their own.
public final class EventStreamService: Service, Sendable {
    /// What a waiting stream learns.
    public enum Wake: Sendable {
        case events
        case timeout
        case shutdown
    }

    /// An event and its SSE frame, rendered once for every stream.
    public struct Framed: Sendable {
        public var id: Int64
        public var frame: String
    }

    private struct State {
        var recent: [Framed] = []
        /// The id of the newest event read so far.
        var head: Int64 = 0
        var waiters: [UUID: CheckedContinuation<Wake, Never>] = [:]
        var closed = false
    }

    let store: Store
    let logger: Logger
    let capacity: Int
    private let state = Mutex(State())
    private let signal = Wakeup()

    public init(store: Store, logger: Logger, capacity: Int = 4096) {
        self.store = store
        self.logger = logger
        self.capacity = capacity
    }

    public func run() async throws {
        let head = try await store.lastStreamEventID()
        state.withLock { $0.head = head }
        let observation = store.observeStreamEvents { [signal] in signal.notify() }
        defer { observation.cancel() }
        var lastPrune = ContinuousClock.now - .seconds(3600)
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !state.withLock({ $0.closed }) {
                await signal.wait(for: .seconds(5))
                await readNewEvents()
                if ContinuousClock.now - lastPrune > .seconds(3600) {
                    lastPrune = ContinuousClock.now
                    try? await store.pruneStreamEvents(olderThan: .seconds(7 * 86_400))
                }
            }
        } onGracefulShutdown: { [self] in
            close()
            signal.notify()
        }
        close()
    }

    private func readNewEvents() async {
        let head = state.withLock { $0.head }
        do {
            var after = head
            var fresh: [StreamEvent] = []
            while true {
                let batch = try await store.streamEvents(after: after, limit: 1000)
                fresh += batch
                guard batch.count == 1000, let last = batch.last else { break }
                after = last.id
            }
            guard let newest = fresh.last else { return }
            let framed = fresh.map { Framed(id: $0.id, frame: $0.frame) }
            let waiters = state.withLock { state -> [CheckedContinuation<Wake, Never>] in
                state.recent += framed
                if state.recent.count > capacity { state.recent.removeFirst(state.recent.count - capacity) }
                state.head = newest.id
                let all = Array(state.waiters.values)
                state.waiters.removeAll()
                return all
            }
            for waiter in waiters { waiter.resume(returning: .events) }
        } catch {
            logger.warning("Cannot read stream events", metadata: ["error": "\(error)"])
        }
    }

    private func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Wake, Never>] in
            state.closed = true
            let all = Array(state.waiters.values)
            state.waiters.removeAll()
            return all
        }
        for waiter in waiters { waiter.resume(returning: .shutdown) }
    }

    /// The id a new stream without `Last-Event-ID` starts after: only events from now on.
    public var head: Int64 { state.withLock { $0.head } }

    /// Whether the service has ended (streams should finish).
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Framed events after `id`, at most `limit`: from memory when it still holds every one of them, else from
    /// the database (a stream that reconnects after a long cut).
    public func events(after id: Int64, limit: Int = 500) async throws(NoroshiError) -> [Framed] {
        let cached = state.withLock { state -> [Framed]? in
            if id >= state.head { return [] }
            guard let first = state.recent.first, first.id <= id + 1 else { return nil }
            let start = state.recent.firstIndex { $0.id > id } ?? state.recent.endIndex
            return Array(state.recent[start...].prefix(limit))
        }
        if let cached { return cached }
        return try await store.streamEvents(after: id, limit: limit).map { Framed(id: $0.id, frame: $0.frame) }
    }

    /// Waits until events newer than `id` exist, the timeout passes, or the service shuts down.
    public func wait(after id: Int64, timeout: Duration) async -> Wake {
        let key = UUID()
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            let waiter = state.withLock { $0.waiters.removeValue(forKey: key) }
            waiter?.resume(returning: .timeout)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let immediate = state.withLock { state -> Wake? in
                    if state.closed { return .shutdown }
                    if state.head > id { return .events }
                    state.waiters[key] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: { [self] in
            let waiter = state.withLock { $0.waiters.removeValue(forKey: key) }
            waiter?.resume(returning: .shutdown)
        }
    }
}
