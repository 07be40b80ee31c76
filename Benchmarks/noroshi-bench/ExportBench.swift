import ArgumentParser
import Foundation
import Logging
import NoroshiHTTPClient
import NoroshiStorage
import NoroshiTesting
import Synchronization

/// Exports on a large store: rows per second of each export through the daemon and the daemon's memory
/// growth while it streams, against `sqlite3 -csv` dumping the same rows straight from the file.
struct ExportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "CSV and GeoJSON exports of a large store: rows/s and memory growth, against sqlite3 -csv."
    )

    @Option(help: "Incidents in the store.") var incidents = 10_000
    @Option(help: "Reports in the store.") var reports = 1_000_000

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-export-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        do {
            let store = try Store(directory: directory, logger: logger)
            let started = now()
            try await BoardBench.seed(store, incidents: incidents, reports: reports)
            print(String(format: "Seeded %d reports in %.1f s", reports, Double(now() - started) / 1e9))
        }
        try await Task.sleep(for: .seconds(2))
        let path = directory.path
        let sink = directory.appendingPathComponent("export.out").path
        try await TestServer.run(
            configure: { $0.dataDirectory = path },
            { server in
                let hq = try await server.token(.hq)
                let client = HTTPClient()
                // The first export since the daemon started also pays for warming up (SQLite's page cache, the
                // allocator's arenas); it runs twice so that the second shows the export alone.
                for (route, rows) in [
                    ("/v1/reports.csv", reports), ("/v1/reports.csv", reports), ("/v1/reports.geojson", reports),
                    ("/v1/incidents.csv", incidents), ("/v1/incidents.geojson", incidents),
                ] {
                    let peak = Atomic<Int>(0)
                    let peakAnonymous = Atomic<Int>(0)
                    let done = Atomic<Bool>(false)
                    let before = Self.resident()
                    let sampler = Thread {
                        while !done.load(ordering: .relaxed) {
                            let now = Self.resident()
                            if now.all > peak.load(ordering: .relaxed) { peak.store(now.all, ordering: .relaxed) }
                            if now.anonymous > peakAnonymous.load(ordering: .relaxed) {
                                peakAnonymous.store(now.anonymous, ordering: .relaxed)
                            }
                            Thread.sleep(forTimeInterval: 0.02)
                        }
                    }
                    sampler.start()
                    let started = now()
                    let request = HTTPRequest(
                        method: "GET", url: server.baseURL + route, headers: [("Authorization", "Bearer \(hq)")],
                        timeout: .zero, responseFile: sink)
                    let answer = try await client.send(request)
                    let seconds = Double(now() - started) / 1e9
                    done.store(true, ordering: .relaxed)
                    guard answer.status == 200 else { throw ValidationError("\(route) answered \(answer.status)") }
                    let bytes = (try FileManager.default.attributesOfItem(atPath: sink)[.size] as? Int) ?? 0
                    print(
                        String(
                            format:
                                "%@: %d rows, %.1f MB in %.2f s: %.0f rows/s; RSS %.1f MB before, +%.1f MB at most "
                                + "(anonymous memory +%.1f MB; the rest is the database file's mapped pages)",
                            route, rows, Double(bytes) / 1e6, seconds, Double(rows) / seconds,
                            Double(before.all) / 1e6, Double(max(0, peak.load(ordering: .relaxed) - before.all)) / 1e6,
                            Double(max(0, peakAnonymous.load(ordering: .relaxed) - before.anonymous)) / 1e6))
                }
            })
        // The reference: the same report rows dumped by the sqlite3 shell, straight from the file.
        let database = directory.appendingPathComponent(Store.databaseFileName).path
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        shell.arguments = [
            "-csv", "-header", database,
            "SELECT r.id, i.number, r.kind, r.text, r.unit, r.reporter, r.submitted_by, r.area_code, r.place, "
                + "r.latitude, r.longitude, r.accuracy, r.dead, r.missing, r.injured, r.observed_at, "
                + "r.observed_at_source, r.received_at, r.exercise FROM report r JOIN incident i ON i.id = r.incident_id",
        ]
        shell.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let started = now()
        try shell.run()
        shell.waitUntilExit()
        let seconds = Double(now() - started) / 1e9
        print(
            String(
                format: "Reference: sqlite3 -csv of the same %d report rows: %.2f s: %.0f rows/s", reports, seconds,
                Double(reports) / seconds))
    }

    /// This process's resident memory and the anonymous part of it (heap, not file pages), from /proc.
    static func resident() -> (all: Int, anonymous: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("RssAnon"))
    }
}
