import ArgumentParser
import Foundation
import Logging
import NoroshiChat
import NoroshiCore
import NoroshiLoopback
import NoroshiStorage
import NoroshiTesting
import ServiceLifecycle
import Synchronization

/// Summaries through the outbox to a signed webhook on loopback, pacing off: messages a second and the time
/// from the commit of the change to the receiver having the message.
struct ChatBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Outbox delivery: messages/s and commit → delivery latency to a loopback webhook, pacing off."
    )

    @Option(help: "Summaries to deliver (each from a report that opens an incident).") var messages = 10_000
    @Option(
        help:
            "Reports a second offered while delivery runs; 0 sends them as fast as the store takes them (32 at a time)."
    )
    var rate = 0.0
    @Flag(help: "Commit every report first (32 at a time), then start delivery: the drain rate of a backlog.")
    var backlog = false

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-chat-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let store = try Store(directory: directory, logger: logger)

        let arrivals = FirstSeen()
        let receiver = try LoopbackHTTPServer { request in
            let body = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
            let summary = body?["summary"] as? [String: Any]
            if let number = summary?["number"] as? String { arrivals.record(number, at: now()) }
            return .respond(status: 200, body: Data("ok".utf8))
        }
        defer { receiver.stop() }
        var chat = ChatConfiguration()
        chat.rooms = [
            RoomConfiguration(
                name: "bench",
                connector: .webhook(
                    url: receiver.url("/hook"), secret: Secret(value: "bench", origin: "bench"), sendImage: false),
                messagesPerSecond: 0)
        ]
        chat.outbox.gather = 0
        let service = DeliveryService(
            store: store, configuration: chat, wakeups: OutboxWakeups(rooms: ["bench"]), images: { _ in nil },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))

        let commits = FirstSeen()
        if backlog {
            try await Self.submitAll(messages, to: store, commits: commits)
            let queued = now()
            for number in commits.times.keys { commits.record(number, at: queued, replacing: true) }
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let started = now()
            if !backlog && rate > 0 {
                // Each report at its due time, concurrently, as field crews send them.
                try await withThrowingDiscardingTaskGroup { submits in
                    for index in 0..<messages {
                        let due = started + UInt64(Double(index) / rate * 1e9)
                        let current = now()
                        if due > current { try await Task.sleep(nanoseconds: due - current) }
                        submits.addTask {
                            let receipt = try await store.submit(Self.submission(index), by: "bench")
                            commits.record(receipt.incident.number, at: now())
                        }
                    }
                }
            } else if !backlog {
                try await Self.submitAll(messages, to: store, commits: commits)
            }
            let submitted = now()
            while arrivals.count < messages { try await Task.sleep(for: .milliseconds(5)) }
            let finished = now()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()

            let times = arrivals.times
            let committed = commits.times
            var latencies: [UInt64] = []
            for (number, arrived) in times {
                if let commit = committed[number], arrived >= commit { latencies.append(arrived - commit) }
            }
            let seconds = Double(finished - started) / 1e9
            let delivered = try await store.outboxMessages(OutboxFilter(states: [.delivered], limit: messages * 2))
            let offered = backlog ? "a backlog" : rate > 0 ? "offered \(Int(rate))/s" : "offered as fast as possible"
            print(
                String(
                    format: "%d summaries (%@) delivered in %.2f s: %.0f messages/s; reports committed in %.2f s",
                    messages, offered, seconds, Double(messages) / seconds, Double(submitted - started) / 1e9))
            if !backlog { print("commit → delivery: " + Latencies(samples: latencies).summary) }
            print(
                "delivered \(delivered.count), received \(times.count) distinct, \(arrivals.duplicates) duplicates; "
                    + "peak RSS \(peakRSS()) (this process: store, delivery service, receiver)")
        }
    }

    /// Submits reports 0..<count from 32 concurrent senders, noting when each was committed.
    static func submitAll(_ count: Int, to store: Store, commits: FirstSeen) async throws {
        try await withThrowingDiscardingTaskGroup { tasks in
            for worker in 0..<32 {
                tasks.addTask {
                    for index in stride(from: worker, to: count, by: 32) {
                        let receipt = try await store.submit(Self.submission(index), by: "bench")
                        commits.record(receipt.incident.number, at: now())
                    }
                }
            }
        }
    }

    /// Report `index`, on a grid of points 0.1° apart: every report opens an incident of its own.
    static func submission(_ index: Int) -> ReportSubmission {
        ReportSubmission(
            clientKey: "chat-\(index)", kind: "fire", latitude: 30 + Double(index / 100) * 0.1,
            longitude: 130 + Double(index % 100) * 0.1, text: "bench")
    }

    /// VmHWM from /proc/self/status.
    func peakRSS() -> String {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return String(format: "%.1f MB", kilobytes / 1024)
    }
}

/// When each incident number was first seen: its report committed, or its summary at the receiver.
final class FirstSeen: Sendable {
    private struct State {
        var times: [String: UInt64] = [:]
        var duplicates = 0
    }
    private let state = Mutex(State())

    func record(_ number: String, at time: UInt64, replacing: Bool = false) {
        state.withLock { state in
            if state.times[number] == nil || replacing { state.times[number] = time } else { state.duplicates += 1 }
        }
    }

    var count: Int { state.withLock { $0.times.count } }
    var times: [String: UInt64] { state.withLock { $0.times } }
    var duplicates: Int { state.withLock { $0.duplicates } }
}
