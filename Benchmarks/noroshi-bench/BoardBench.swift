import ArgumentParser
import Foundation
import Logging
import NoroshiCore
import NoroshiHTTPClient
import NoroshiPlaces
import NoroshiServer
import NoroshiStorage
import NoroshiTesting
import Synchronization

/// The web board on a large store: time to answer `/` and incident pages, first-visit page weight, and
/// commit → event delivered with many open event streams.
struct BoardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "Board pages on a large store, page weight, and event stream latency with many open streams."
    )

    @Option(help: "Open incidents in the store.") var incidents = 10_000
    @Option(help: "Reports in the store (spread over the incidents).") var reports = 1_000_000
    @Option(help: "Requests per page kind.") var requests = 300
    @Option(help: "Open event streams.") var streams = 200
    @Option(help: "Changes committed per second while the streams are open.") var rate = 100.0
    @Option(help: "Seconds of changes.") var seconds = 10.0

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-board-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let loading = now()
        let places = Places.shared
        print(
            String(
                format: "Place data read in %.1f ms (%d municipalities, %d points)", Double(now() - loading) / 1e6,
                places.municipalities.count, places.municipalities.reduce(0) { $0 + $1.geometry.pointCount }))
        do {
            let store = try Store(directory: directory, logger: logger)
            let started = now()
            try await seed(store)
            let elapsed = Double(now() - started) / 1e9
            print(
                String(
                    format: "Seeded %d incidents and %d reports in %.1f s (%.0f reports/s)", incidents, reports,
                    elapsed, Double(reports) / elapsed))
        }
        let path = directory.path
        // The seeding store's connections close as it is released; give its background checkpointer a moment.
        try await Task.sleep(for: .seconds(2))
        try await TestServer.run(
            configure: { $0.dataDirectory = path },
            { server in
                let hq = try await server.token(.hq)
                let visitor = BoardClient(server: server)
                try await visitor.signIn(token: hq)
                let numbers = try await server.store.boardIncidents(BoardFilter(limit: 200)).rows.map(\.incident.number)

                try await Self.time("GET / (50 of \(incidents))", requests) { _ in try await visitor.get("/") }
                try await Self.time("GET /?q=報告 (text search, every report matches)", max(10, requests / 10)) { _ in
                    try await visitor.get("/?q=%E5%A0%B1%E5%91%8A")
                }
                try await Self.time("GET /?q=土石流 (text search, no report matches)", max(10, requests / 30)) { _ in
                    try await visitor.get("/?q=%E5%9C%9F%E7%9F%B3%E6%B5%81")
                }
                try await Self.time("GET /incidents/{n} (\(reports / incidents) reports each)", requests) { index in
                    try await visitor.get("/incidents/" + numbers[index % numbers.count])
                }
                try await Self.time("GET /map (all of Japan, 500 of \(incidents) drawn)", requests) { _ in
                    try await visitor.get("/map")
                }
                try await Self.time("GET /map?prefecture=1 (Hokkaido, 179 municipalities)", requests) { _ in
                    try await visitor.get("/map?prefecture=1")
                }
                try await Self.time("GET /map zoomed in (z=6, panned)", requests) { index in
                    try await visitor.get(
                        String(
                            format: "/map?x=%.2f&y=%.2f&z=6", 130 + Double(index % 100) * 0.13,
                            31 + Double(index % 50) * 0.1))
                }
                var weight = try await visitor.get("/").body.count
                for asset in ["board.css", "board.js", "icon.svg"] {
                    weight += try await visitor.get("/assets/" + asset).body.count
                }
                print(String(format: "First visit of / (HTML, CSS, script, icon): %.1f KB", Double(weight) / 1024))
                var mapWeight = try await visitor.get("/map").body.count
                for asset in ["board.css", "board.js", "map.js", "icon.svg"] {
                    mapWeight += try await visitor.get("/assets/" + asset).body.count
                }
                print(
                    String(
                        format:
                            "First visit of /map (HTML with the SVG map and 500 incidents, CSS, scripts, icon): %.1f KB",
                        Double(mapWeight) / 1024))
                placeLookups()

                try await streamLatency(server: server, token: hq)
            })
    }

    /// Place lookups: random points over Japan's box (about half at sea) and points inside municipalities.
    func placeLookups() {
        let places = Places.shared
        var generator = SystemRandomNumberGenerator()
        var land: [GeoPoint] = []
        for municipality in places.municipalities {
            let b = municipality.geometry.bounds
            for _ in 0..<50 {
                let x = Double(Int32.random(in: b.minX...b.maxX, using: &generator)) / 10_000
                let y = Double(Int32.random(in: b.minY...b.maxY, using: &generator)) / 10_000
                if let point = try? GeoPoint(latitude: y, longitude: x) { land.append(point) }
            }
        }
        let anywhere = (0..<100_000).compactMap { _ in
            try? GeoPoint(
                latitude: Double.random(in: 24...46, using: &generator),
                longitude: Double.random(in: 122...146, using: &generator))
        }
        for (label, points) in [("in municipalities' boxes", land), ("anywhere in Japan's box", anywhere)] {
            var samples: [UInt64] = []
            samples.reserveCapacity(points.count)
            var found = 0
            for point in points {
                let started = now()
                let area = places.area(at: point)
                samples.append(now() - started)
                if area != nil { found += 1 }
            }
            let latencies = Latencies(samples: samples)
            print(
                String(
                    format: "Place lookup, %d points %@ (%d on land): p50 %.1f µs  p99 %.1f µs  max %.1f µs",
                    points.count, label, found, latencies.percentile(0.5) * 1000, latencies.percentile(0.99) * 1000,
                    latencies.percentile(1) * 1000))
        }
    }

    func seed(_ store: Store) async throws { try await Self.seed(store, incidents: incidents, reports: reports) }

    /// Incidents on a grid 0.1° apart (each its own incident); further reports join them round-robin.
    static func seed(_ store: Store, incidents: Int, reports: Int) async throws {
        let total = max(reports, incidents)
        try await withThrowingDiscardingTaskGroup { tasks in
            for worker in 0..<32 {
                tasks.addTask {
                    for index in stride(from: worker, to: total, by: 32) {
                        let slot = index % incidents
                        let submission = ReportSubmission(
                            clientKey: "board-\(index)", kind: "fire", latitude: 30 + Double(slot / 150) * 0.1,
                            longitude: 129 + Double(slot % 150) * 0.1,
                            text: "報告 \(index): 住宅から煙、延焼のおそれ。隊が現着し消火活動中。", unit: "第\(index % 40)小隊")
                        _ = try await store.submit(submission, by: "bench")
                    }
                }
            }
        }
    }

    static func time(_ label: String, _ count: Int, _ body: (Int) async throws -> HTTPResponse) async throws {
        var samples: [UInt64] = []
        for index in 0..<count {
            let started = now()
            let response = try await body(index)
            samples.append(now() - started)
            guard response.status == 200 else { throw ValidationError("\(label) answered \(response.status)") }
        }
        print("\(label): \(Latencies(samples: samples).summary)")
    }

    /// `streams` open streams while `rate` reports a second join incidents: commit → each stream has the event.
    func streamLatency(server: TestServer, token: String) async throws {
        let committed = Shared<[Int64: UInt64]>([:])
        let received = Shared<[(report: Int64, at: UInt64)]>([])
        let incidents = self.incidents
        let store = server.store
        let readers = try (0..<streams).map { _ in
            try EventStreamReader(port: server.port, headers: [("Authorization", "Bearer \(token)")])
        }
        for reader in readers { _ = await reader.waitForHead() }
        let count = Int(rate * seconds)
        // The readers keep what they see to themselves until the end: 200 threads taking one lock for every
        // event made the load generator, not the daemon, the slowest part (lock hand-offs on two cores).
        let done = Atomic<Bool>(false)
        let finished = DispatchGroup()
        let threads = readers.map { reader in
            finished.enter()
            return Thread {
                var seen: [(report: Int64, at: UInt64)] = []
                while !done.load(ordering: .relaxed) {
                    for event in reader.blockingEvents(within: 0.2) where event.type == "report.joined" {
                        let at = now()
                        guard
                            let data = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
                            let report = (data["report_id"] as? NSNumber)?.int64Value
                        else { continue }
                        seen.append((report, at))
                    }
                }
                received.value.withLock { $0 += seen }
                finished.leave()
            }
        }
        for thread in threads { thread.start() }
        let started = now()
        try await withThrowingDiscardingTaskGroup { tasks in
            for index in 0..<count {
                let due = started + UInt64(Double(index) / rate * 1e9)
                let current = now()
                if due > current { try await Task.sleep(nanoseconds: due - current) }
                tasks.addTask {
                    let slot = index % incidents
                    let submission = ReportSubmission(
                        clientKey: "stream-\(index)", kind: "fire", latitude: 30 + Double(slot / 150) * 0.1,
                        longitude: 129 + Double(slot % 150) * 0.1, text: "続報 \(index)")
                    let before = now()
                    let receipt = try await store.submit(submission, by: "bench")
                    // The commit happened between the call and its answer; count from the call.
                    committed.value.withLock { $0[receipt.report.id] = before }
                }
            }
        }
        try await Task.sleep(for: .seconds(2))
        done.store(true, ordering: .relaxed)
        await withCheckedContinuation { continuation in finished.notify(queue: .global()) { continuation.resume() } }
        let starts = committed.value.withLock { $0 }
        let samples = received.value.withLock { $0 }.compactMap { seen in starts[seen.report].map { seen.at - $0 } }
        print(
            "\(streams) streams, \(count) changes at \(Int(rate))/s: \(samples.count) of \(count * streams) "
                + "deliveries seen; commit → event \(Latencies(samples: samples).summary)")
    }
}

/// A value behind a lock that threads and tasks share.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
}
