import ArgumentParser
import Foundation
import Logging
import NoroshiCore
import NoroshiHTTPClient
import NoroshiStorage
import NoroshiTesting
import Synchronization

/// N concurrent keep-alive clients against the release-built daemon on loopback: the no-op route first
/// (the ceiling: same parsing and token check, no storage), then report intake.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Reports per second, p50/p99 latency and peak RSS of the daemon under concurrent load."
    )

    @Option(help: "Path of the noroshi binary (default: next to this one).")
    var noroshi: String?

    @Option(help: "Concurrent connections.") var clients = 32
    @Option(help: "Requests per phase.") var requests = 40_000

    func run() async throws {
        let root = try TemporaryDirectory(prefix: "noroshi-bench")
        defer { root.remove() }
        let executable = noroshi.map { URL(fileURLWithPath: $0) } ?? CommandLineTool.builtExecutable
        let tool = CommandLineTool(home: root.url, executable: executable)
        let directory = root.url.appendingPathComponent("data")
        let created = try tool.run(
            ["token", "create", "--role", "field", "--name", "bench", "--data-dir", directory.path, "--json"])
        guard let object = try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any],
            let token = object["secret"] as? String
        else { throw ValidationError("Could not create a token: \(created.errors)") }
        let daemon = try tool.startDaemon(dataDirectory: directory.path)
        defer { daemon.stop() }
        let base = daemon.url
        let pid = daemon.process.processIdentifier
        print("noroshi-bench http: \(clients) connections, \(requests) requests per phase, daemon pid \(pid)")

        _ = try load(url: base + "/v1/noop", token: token, count: 1_000, keyPrefix: "warm")
        let ceiling = try load(url: base + "/v1/noop", token: token, count: requests, keyPrefix: "noop")
        print(ceiling.line("no-op route (ceiling)"))
        let intake = try load(url: base + "/v1/reports", token: token, count: requests, keyPrefix: "report")
        print(intake.line("POST /v1/reports"))
        let rss = peakRSS(pid: pid)
        print(String(format: "daemon peak RSS: %.1f MB", Double(rss) / 1024))

        daemon.stop()
        let store = try Store(directory: directory, logger: Logger(label: "bench"))
        let stored = try await store.incidents(IncidentFilter(state: .all, limit: 1_000_000)).map(\.reportCount)
            .reduce(0, +)
        print("reports acknowledged: \(intake.succeeded), stored: \(stored), failed: \(intake.failed)")
        if stored != intake.succeeded { throw ValidationError("Stored and acknowledged reports differ.") }
    }

    struct Phase {
        var succeeded: Int
        var failed: Int
        var seconds: Double
        var latencies: Latencies

        func line(_ name: String) -> String {
            String(format: "%-24@ %8.0f req/s  ", name as NSString, Double(succeeded) / seconds) + latencies.summary
                + (failed > 0 ? "  (\(failed) failed)" : "")
        }
    }

    func load(url: String, token: String, count: Int, keyPrefix: String) throws -> Phase {
        let next = Atomic<Int>(0)
        let results = Mutex<(latencies: [UInt64], failed: Int)>(([], 0))
        let group = DispatchGroup()
        let start = now()
        for worker in 0..<clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                guard let connection = try? HTTPConnection(client: HTTPClient(configuration: .init(verifyTLS: false)))
                else { return }
                var generator = SystemRandomNumberGenerator()
                var latencies: [UInt64] = []
                var failed = 0
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < count else { break }
                    // Positions all over Japan: most reports open incidents, some join nearby ones.
                    let lat = Double.random(in: 31...45, using: &generator)
                    let lon = Double.random(in: 129...145, using: &generator)
                    let body = """
                        {"client_key":"\(keyPrefix)-\(worker)-\(index)","kind":"fire","latitude":\(lat),\
                        "longitude":\(lon),"text":"Benchmark report \(index)","unit":"bench"}
                        """
                    let request = HTTPRequest(
                        method: "POST", url: url,
                        headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                        body: Data(body.utf8))
                    let began = now()
                    let response = try? connection.perform(request)
                    let elapsed = now() - began
                    if let response, (200..<300).contains(response.status) {
                        latencies.append(elapsed)
                    } else {
                        failed += 1
                    }
                }
                results.withLock { all in
                    all.latencies += latencies
                    all.failed += failed
                }
            }
            thread.start()
        }
        group.wait()
        let seconds = Double(now() - start) / 1e9
        return results.withLock { all in
            Phase(
                succeeded: all.latencies.count, failed: all.failed, seconds: seconds,
                latencies: Latencies(samples: all.latencies))
        }
    }

    /// VmHWM of a process, in kB.
    func peakRSS(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
