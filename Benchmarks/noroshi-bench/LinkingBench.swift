import ArgumentParser
import Foundation
import GRDB
import Logging
import NoroshiCore
import NoroshiStorage

/// The linker's decision time at scale: a store seeded with many open incidents and reports.
struct LinkingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linking",
        abstract: "Linking latency (p50/p99) with many open incidents and reports in the store."
    )

    @Option(help: "Open incidents to seed.") var incidents = 10_000
    @Option(help: "Reports to seed.") var reports = 1_000_000
    @Option(help: "Decisions to time.") var samples = 5_000

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-linking-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = Logger(label: "bench")
        _ = try Store(directory: directory, logger: logger)  // creates the schema
        let seedStart = now()
        try seed(path: directory.appendingPathComponent(Store.databaseFileName).path)
        print(
            String(
                format: "seeded %d open incidents and %d reports in %.1f s", incidents, reports,
                Double(now() - seedStart) / 1e9))

        let store = try Store(directory: directory, logger: logger)
        var generator = SystemRandomNumberGenerator()
        var decisions: [UInt64] = []
        var joined = 0
        for index in 0..<samples {
            let submission = randomReport(key: "probe-\(index)", using: &generator)
            let began = now()
            if try await store.proposedIncident(for: submission) != nil { joined += 1 }
            decisions.append(now() - began)
        }
        print(
            "linking decision (read, \(samples) samples, \(joined) would join): "
                + Latencies(samples: decisions).summary)

        var writes: [UInt64] = []
        for index in 0..<min(samples, 2_000) {
            let submission = randomReport(key: "write-\(index)", using: &generator)
            let began = now()
            _ = try await store.submit(submission, by: "bench")
            writes.append(now() - began)
        }
        print("durable intake, one at a time (\(writes.count) reports): " + Latencies(samples: writes).summary)
    }

    func randomReport(key: String, using generator: inout SystemRandomNumberGenerator) -> ReportSubmission {
        ReportSubmission(
            clientKey: key, kind: IncidentKind.allCases.randomElement(using: &generator)!.rawValue,
            latitude: Double.random(in: 31...45, using: &generator),
            longitude: Double.random(in: 129...145, using: &generator), text: "probe")
    }

    /// Writes incidents and reports straight into the file, in one transaction, as fast as SQLite allows.
    func seed(path: String) throws {
        let queue = try DatabaseQueue(path: path)
        let nowMs = Date().millisecondsSince1970
        try queue.inTransaction { db in
            var generator = SystemRandomNumberGenerator()
            let kinds = IncidentKind.allCases
            let insertIncident = try db.makeStatement(
                sql: """
                    INSERT INTO incident (id, number, kind, title, status, exercise, is_open, center_lat, center_lon,
                        min_lat, max_lat, min_lon, max_lon, located_count, report_count, opened_at, updated_at,
                        last_activity_at, status_changed_at)
                    VALUES (?, ?, ?, 'seed', 'responding', 0, 1, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
                    """)
            let perIncident = max(1, reports / max(1, incidents))
            for id in 1...incidents {
                let kind = kinds[id % kinds.count]
                let lat = Double.random(in: 31...45, using: &generator)
                let lon = Double.random(in: 129...145, using: &generator)
                let number = "\(kind.numberPrefix)-1999-\(id)"
                try insertIncident.execute(arguments: [
                    id, number, kind.rawValue, lat, lon, lat, lat, lon, lon, perIncident, nowMs, nowMs, nowMs, nowMs,
                ])
            }
            let insertReport = try db.makeStatement(
                sql: """
                    INSERT INTO report (client_key, fingerprint, incident_id, kind, latitude, longitude, text, exercise,
                        observed_at, received_at, link_mode, submitted_by)
                    VALUES (?, 'seed', ?, ?, ?, ?, 'seed', 0, ?, ?, 'automatic', 'seed')
                    """)
            for index in 0..<reports {
                let incident = index % incidents + 1
                try insertReport.execute(arguments: [
                    "seed-\(index)", incident, kinds[incident % kinds.count].rawValue, 36.0, 137.0, nowMs, nowMs,
                ])
            }
            return .commit
        }
    }
}
