import Foundation
import NoroshiHTTPClient

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `noroshi` binary as a user would, with its own HOME so that tests never touch yours.
public struct CommandLineTool: Sendable {
    /// What one run printed and how it ended.
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: String
    }

    public let home: URL
    public let executable: URL

    /// A tool whose HOME (and so its credentials and queue) lives under `home`.
    public init(home: URL, executable: URL = CommandLineTool.builtExecutable) {
        self.home = home
        self.executable = executable
    }

    /// `noroshi` next to the running binary (a test bundle or the benchmark), in the same products directory.
    public static var builtExecutable: URL {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = me.deletingLastPathComponent()
        // The test bundle may sit inside a .xctest directory.
        while directory.pathExtension == "xctest" { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("noroshi")
    }

    /// The environment a run sees: no NOROSHI_* from the caller, HOME under the test's directory.
    public func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NOROSHI_") }
        environment["HOME"] = home.path
        environment.removeValue(forKey: "XDG_CONFIG_HOME")
        environment.removeValue(forKey: "XDG_DATA_HOME")
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs `noroshi` with `arguments` to completion.
    ///
    /// Spawned with posix_spawn, its output going to files, rather than with Foundation's `Process`: a CI run
    /// of the whole suite crashed inside `Process.run()` (a bad read in its memcpy, while other threads were
    /// launching processes too), and the suite runs the CLI several hundred times. ``Spawn`` passes the child
    /// no descriptor but its three files.
    public func run(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil)
        throws -> Result
    {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("noroshi-cli-\(getpid())-\(UUID().uuidString)").path
        let inPath = base + ".in"
        let outPath = base + ".out"
        let errPath = base + ".err"
        defer { for path in [inPath, outPath, errPath] { unlink(path) } }
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: inPath))
        let status = try Spawn.run(
            executable.path, arguments, environment: environment(extra), input: inPath, output: outPath,
            errors: errPath)
        return Result(
            status: status,
            output: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(), as: UTF8.self),
            errors: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self)
        )
    }

    /// Runs `noroshi` to completion on a thread of its own, so that the cooperative pool stays free for a daemon
    /// in the same process (a ``TestServer``) to answer it: a long command that blocked a pool thread could
    /// starve that daemon, and every other test's, on a two-core machine.
    public func runInBackground(_ arguments: [String], environment extra: [String: String] = [:]) async throws
        -> Result
    {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Swift.Result { try self.run(arguments, environment: extra) })
            }
            thread.start()
        }
    }

    /// Starts `noroshi serve` on `port` (0 for any) over `dataDirectory` and waits until it listens. `environment`
    /// adds variables (secrets the configuration names); `logFile` keeps the daemon's log (its standard error),
    /// which is otherwise thrown away once the daemon runs (a daemon that does not start has it in the error).
    ///
    /// `umask` (e.g. `"000"`) runs the daemon under that umask, through `/bin/sh`, without touching this
    /// process's (which every test running beside it shares).
    ///
    /// A fixed `port` (a daemon started again where an earlier one listened) was first chosen by the kernel from
    /// the range it also hands to outgoing connections, so another test's connection may hold it for a moment
    /// ("already in use"): the start is tried again for up to 10 s.
    public func startDaemon(
        dataDirectory: String, port: Int = 0, config: String? = nil, environment extra: [String: String] = [:],
        logFile: String? = nil, umask: String? = nil
    ) throws -> Daemon {
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                return try startDaemonOnce(
                    dataDirectory: dataDirectory, port: port, config: config, environment: extra, logFile: logFile,
                    umask: umask)
            } catch let error as DaemonStartFailure where port != 0 && error.portInUse && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// Why `noroshi serve` did not start: what it printed.
    struct DaemonStartFailure: Error, CustomStringConvertible {
        var output: String
        var errors: String
        var portInUse: Bool { errors.contains("is already in use") }
        var description: String { "The daemon did not start: \(output)\(errors)" }
    }

    private func startDaemonOnce(
        dataDirectory: String, port: Int, config: String?, environment extra: [String: String], logFile: String?,
        umask: String?
    ) throws -> Daemon {
        let arguments =
            ["serve", "--data-dir", dataDirectory, "--host", "127.0.0.1", "--port", String(port)]
            + (config.map { ["--config", $0] } ?? [])
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("noroshi-serve-\(UUID().uuidString)")
        let outputPath = base.path + ".out"
        let errorPath = logFile ?? base.path + ".err"
        // The daemon keeps writing to its own descriptors; files of our own are gone from the directory at once.
        defer {
            unlink(outputPath)
            if logFile == nil { unlink(errorPath) }
        }
        let environment = environment(["NOROSHI_LOG_LEVEL": "warning"].merging(extra) { $1 })
        let process =
            if let umask {
                try ChildProcess(
                    "/bin/sh", ["-c", "umask \(umask) && exec \"$0\" \"$@\"", executable.path] + arguments,
                    environment: environment, output: outputPath, errors: errorPath)
            } else {
                try ChildProcess(
                    executable.path, arguments, environment: environment, output: outputPath, errors: errorPath)
            }
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            seen = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let range = seen.range(of: #"listening on https?://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let digits = seen[range].split(separator: ":").last.map(String.init) ?? ""
                if let bound = Int(digits) {
                    return Daemon(process: process, port: bound, scheme: seen.contains("https://") ? "https" : "http")
                }
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.terminate()
        process.waitUntilExit()
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        throw DaemonStartFailure(output: seen, errors: String(errors.suffix(2000)))
    }

    /// A running `noroshi serve` process.
    public final class Daemon: @unchecked Sendable {
        public let process: ChildProcess
        public let port: Int
        /// `https` when the daemon serves TLS (`http.tls`).
        public let scheme: String

        init(process: ChildProcess, port: Int, scheme: String) {
            self.process = process
            self.port = port
            self.scheme = scheme
        }

        public var url: String { "\(scheme)://127.0.0.1:\(port)" }

        /// Sends a fire report near Takayama with `key` as its client key, as a field device would.
        public func sendReport(token: String, key: String, text: String = "Barn fire") async throws -> HTTPResponse {
            try await HTTPClient(configuration: .init(timeout: .seconds(30))).send(
                HTTPRequest(
                    method: "POST", url: url + "/v1/reports",
                    headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                    body: Data(
                        #"{"client_key": "\#(key)", "kind": "fire", "latitude": 36.1461, "longitude": 137.2522, "text": "\#(text)"}"#
                            .utf8)))
        }

        /// Sends SIGTERM and waits for a graceful exit; returns the exit status.
        @discardableResult
        public func stop() -> Int32 {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            return process.terminationStatus
        }

        /// Kills the process with SIGKILL, as a crash or a power cut would stop it, and waits for it.
        public func kill() {
            if process.isRunning {
                Glibc.kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }

        deinit { if process.isRunning { process.terminate() } }
    }
}
