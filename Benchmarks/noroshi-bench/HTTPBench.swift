import ArgumentParser
import Foundation
import Logging
import NoroshiCore
import NoroshiStorage
import NoroshiTesting

/// N concurrent keep-alive connections from `wrk` against the release-built daemon on loopback: the no-op
/// route first (the ceiling: same token check and JSON parsing, nothing stored), then report intake.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Reports per second, p50/p99 latency and peak RSS of the daemon under concurrent load.",
        discussion: """
            The load generator is wrk (Debian package 'wrk'): a small epoll client whose own CPU use is a \
            fraction of the daemon's, which matters when both share this machine's two cores. A Lua script \
            gives every request a unique client key and a random position in Japan.
            """
    )

    @Option(help: "Path of the noroshi binary (default: next to this one).")
    var noroshi: String?

    @Option(help: "Path of wrk.") var wrk = "/usr/bin/wrk"
    @Option(help: "Concurrent connections.") var connections = 32
    @Option(help: "wrk threads.") var threads = 2
    @Option(help: "Seconds per phase.") var duration = 10

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: wrk) else {
            throw ValidationError("wrk is not installed at \(wrk); run 'apt-get install -y wrk' (as root) first.")
        }
        let root = try TemporaryDirectory(prefix: "noroshi-bench")
        defer { root.remove() }
        let executable = noroshi.map { URL(fileURLWithPath: $0) } ?? CommandLineTool.builtExecutable
        let tool = CommandLineTool(home: root.url, executable: executable)
        let directory = root.url.appendingPathComponent("data")
        let created = try tool.run(
            ["token", "create", "--role", "field", "--name", "bench", "--data-dir", directory.path, "--json", "--init"])
        guard let object = try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any],
            let token = object["secret"] as? String
        else { throw ValidationError("Could not create a token: \(created.errors)") }
        // POST /v1/noop, the ceiling below, is served only when asked for.
        let daemon = try tool.startDaemon(
            dataDirectory: directory.path, environment: ["NOROSHI_BENCHMARK_ROUTES": "1"])
        defer { daemon.stop() }
        let pid = daemon.process.processIdentifier
        let script = root.url.appendingPathComponent("load.lua")
        try Self.script(token: token).write(to: script, atomically: true, encoding: .utf8)
        print(
            "noroshi-bench http: wrk, \(connections) connections on \(threads) threads, \(duration) s per phase, "
                + "daemon pid \(pid)")

        _ = try load(url: daemon.url + "/v1/noop", script: script, seconds: 2, daemon: pid)
        let ceiling = try load(url: daemon.url + "/v1/noop", script: script, seconds: duration, daemon: pid)
        print(ceiling.line("no-op route (ceiling)"))
        let intake = try load(url: daemon.url + "/v1/reports", script: script, seconds: duration, daemon: pid)
        print(intake.line("POST /v1/reports"))
        print(String(format: "daemon peak RSS: %.1f MB", Double(peakRSS(pid: pid)) / 1024))

        daemon.stop()
        let store = try Store(directory: directory, logger: Logger(label: "bench"))
        let stored = try await store.incidents(IncidentFilter(state: .all, limit: 10_000_000)).map(\.reportCount)
            .reduce(0, +)
        print("reports acknowledged: \(intake.succeeded), stored: \(stored), failed: \(intake.failed)")
        // wrk stops at the deadline with up to one request per connection in flight and uncounted; the
        // daemon may have stored those, so stored may exceed acknowledged by at most the connection count.
        if stored < intake.succeeded || stored > intake.succeeded + connections {
            throw ValidationError("Stored and acknowledged reports differ by more than the requests in flight.")
        }
    }

    /// The wrk script: unique client keys per thread, random positions over Japan, and a JSON summary at the end.
    static func script(token: String) -> String {
        """
        local threads = {}
        local next_id = 0
        function setup(thread)
          next_id = next_id + 1
          thread:set("id", next_id)
          table.insert(threads, thread)
        end
        function init(args)
          counter = 0
          math.randomseed(id * 7919 + os.time())
        end
        function request()
          counter = counter + 1
          local lat = 31 + math.random() * 14
          local lon = 129 + math.random() * 16
          local body = string.format(
            '{"client_key":"bench-%d-%d-%d","kind":"fire","latitude":%.6f,"longitude":%.6f,'
              .. '"text":"Benchmark report %d","unit":"bench"}',
            os.time(), id, counter, lat, lon, counter)
          return wrk.format("POST", nil,
            {["Authorization"] = "Bearer \(token)", ["Content-Type"] = "application/json"}, body)
        end
        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format(
            'RESULT {"requests":%d,"micros":%d,"non2xx":%d,"socket":%d,"p50":%d,"p99":%d,"max":%d}\\n',
            summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
            latency:percentile(50), latency:percentile(99), latency.max))
        end
        """
    }

    struct Phase: Decodable {
        var requests: Int
        var micros: Int
        var non2xx: Int
        var socket: Int
        var p50: Int
        var p99: Int
        var max: Int
        /// CPU seconds used during the phase by the daemon and by wrk.
        var daemonCPU = 0.0
        var clientCPU = 0.0

        enum CodingKeys: String, CodingKey { case requests, micros, non2xx, socket, p50, p99, max }

        var succeeded: Int { requests - non2xx }
        var failed: Int { non2xx + socket }

        func line(_ name: String) -> String {
            let total = Double(Swift.max(requests, 1))
            return String(
                format: "%-22@ %7.0f req/s  p50 %.2f ms  p99 %.2f ms  max %.2f ms  "
                    + "CPU/request: daemon %.0f µs, wrk %.0f µs%@",
                name as NSString, Double(succeeded) / (Double(micros) / 1e6), Double(p50) / 1000,
                Double(p99) / 1000, Double(max) / 1000, daemonCPU / total * 1e6, clientCPU / total * 1e6,
                (failed > 0 ? "  (\(failed) failed)" : "") as NSString)
        }
    }

    func load(url: String, script: URL, seconds: Int, daemon: Int32) throws -> Phase {
        let daemonBefore = cpuSeconds(pid: daemon)
        let childrenBefore = childrenCPUSeconds()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = [
            "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--timeout", "10s", "-s", script.path, url,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") })
        else { throw ValidationError("wrk failed:\n\(text)") }
        var phase = try JSONDecoder().decode(Phase.self, from: Data(line.dropFirst("RESULT ".count).utf8))
        phase.daemonCPU = cpuSeconds(pid: daemon) - daemonBefore
        phase.clientCPU = childrenCPUSeconds() - childrenBefore
        return phase
    }

    /// User plus system CPU seconds of a process so far, from /proc/PID/stat.
    func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name, counted from 3: utime is field 14, stime field 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of this process's waited-for children (wrk).
    func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
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
