import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion with posix_spawn and waitpid, its standard input read from a file and its
/// output written to two files; the test helpers that run the CLI and scripts/synapse.sh share it.
///
/// The child gets descriptors 0, 1 and 2 and nothing else. posix_spawn passes on every descriptor not marked
/// close-on-exec, and SwiftNIO accepts connections without that mark: a child spawned while an in-process
/// daemon held a connection kept that connection open after the daemon closed it, so a client waited for an
/// end that came only when the child exited (CI: `shutdownEndsOpenStreams`, 3 of 5 streams not ended while a
/// CLI test's command was running).
enum Spawn {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Spawns `executable` with `arguments` (without the program name) and `environment`; returns the exit
    /// status as a shell reports it (128 + the signal's number for a child killed by a signal).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        input: String, output: String, errors: String
    ) throws -> Int32 {
        let child = try start(
            executable, arguments, environment: environment, input: input, output: output, errors: errors)
        return wait(child)
    }

    /// Waits for `pid` to end; its status as a shell reports it.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return shellStatus(status)
    }

    /// WIFEXITED / WEXITSTATUS, and a signal as 128 + its number, as a shell reports it.
    static func shellStatus(_ status: Int32) -> Int32 {
        status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Spawns `executable` and returns its process id without waiting.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String],
        input: String, output: String, errors: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard let closeFrom, closeFrom(&actions, 3) == 0 else {
            throw Failure(description: "posix_spawn cannot close inherited descriptors (glibc 2.34 or later needed).")
        }
        var cArguments = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnvironment { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, &cArguments, &cEnvironment)
        guard spawned == 0 else {
            throw Failure(description: "Cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        return pid
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does
    /// not import: looked up by name once.
    private static let closeFrom: CloseFrom? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"
    ).map { unsafeBitCast($0, to: CloseFrom.self) }
}

/// A program running beside the tests (a daemon, chromedriver), started with posix_spawn like ``Spawn/run``.
///
/// Foundation's `Process.run()` reads past a buffer while it looks for the highest open descriptor
/// (swift-corelibs-foundation #5472, fixed after Swift 6.3.1): a CI run of the whole suite crashed there
/// (SIGSEGV in `Process.run()` under `WebDriver.init`). Nothing in the test process uses `Process` now.
public final class ChildProcess: @unchecked Sendable {
    public let processIdentifier: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable`; its standard input is `/dev/null` unless `input` names a file, and its output goes
    /// to the files named (`/dev/null` to drop it).
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        input: String = "/dev/null", output: String = "/dev/null", errors: String = "/dev/null"
    ) throws {
        processIdentifier = try Spawn.start(
            executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment, input: input,
            output: output, errors: errors)
    }

    /// Runs a program to completion and returns its exit status (128 + the signal's number when one ended it).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        output: String = "/dev/null", errors: String = "/dev/null"
    ) throws -> Int32 {
        let child = try ChildProcess(executable, arguments, environment: environment, output: output, errors: errors)
        child.waitUntilExit()
        return child.terminationStatus
    }

    /// Whether it still runs (it is reaped here when it has ended).
    public var isRunning: Bool {
        lock.withLock {
            guard status == nil else { return false }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier { status = Spawn.shellStatus(raw) }
            return status == nil
        }
    }

    /// Waits for it to end.
    public func waitUntilExit() {
        lock.withLock {
            guard status == nil else { return }
            status = Spawn.wait(processIdentifier)
        }
    }

    /// The exit status as a shell reports it (128 + the signal's number); only after it ended.
    public var terminationStatus: Int32 { lock.withLock { status ?? -1 } }

    /// Whether a signal ended it (a `kill -9`, say).
    public var endedBySignal: Bool { terminationStatus > 128 }

    /// Sends SIGTERM.
    public func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    deinit {
        if isRunning {
            kill(processIdentifier, SIGTERM)
            waitUntilExit()
        }
    }
}
